// `hako inspect`: containers, else images, as docker's JSON (or a --format template each). An
// image's document is the Docker API's (`GET /images/{name}/json`), so `{{.Config.Cmd}}` and
// `{{.RootFS.Layers}}` read as in docker.
import { HakoError } from '../../util/errors.js';
import { logError } from '../../util/log.js';
import { renderTemplate } from '../../engine/format.js';
import type { Engine } from '../../engine/engine.js';
import { oneLine } from '../errors.js';
import type { Command, Parsed } from '../command.js';
import { engineOf, need, type EngineContext } from './common.js';

/** The container, else the image, named `ref`; undefined (said on stderr) when neither. */
async function inspectOne(e: Engine, ref: string, type: unknown): Promise<unknown> {
  try {
    if (type === 'image') throw new HakoError('image');
    return await e.inspect(ref); // awaited here: its failure is the catch's
  } catch (err) {
    if (type === 'container') {
      logError(oneLine((err as Error).message));
      return undefined;
    }
    const { imageDocument } = await import('../../image/index.js');
    if (!e.images.resolve(ref)) {
      logError(type === 'image' ? `No such image: ${ref}` : `No such object: ${ref}`);
      return undefined;
    }
    try {
      return imageDocument(e.images, ref);
    } catch (imgErr) {
      logError(oneLine((imgErr as Error).message));
      return undefined;
    }
  }
}

const FORMAT = { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template for each object ({{.Field}}, {{json .Field}})' } as const;

/** `inspect`, or `image inspect`/`container inspect` when `only` is set (docker's: that type only,
 *  no --type). */
export function inspectCommand(only?: 'image' | 'container'): Command<EngineContext> {
  return {
    usage: only ? `[OPTIONS] ${only.toUpperCase()}...` : '[OPTIONS] CONTAINER|IMAGE...',
    flags: only ? { format: FORMAT } : { format: FORMAT, type: { type: 'string', value: 'container|image', help: 'only objects of this type' } },
    run: (ctx, parsed, name) => inspectAll(ctx, parsed, name, only ?? parsed.values.type),
  };
}

async function inspectAll(ctx: EngineContext, { values: v, positionals }: Parsed, name: string, type: unknown): Promise<number> {
  need(positionals, name);
  if (type !== undefined && type !== 'container' && type !== 'image') throw new HakoError(`--type: "${String(type)}" is not container or image`);
  const e = engineOf(ctx);
  const docs: unknown[] = [];
  for (const ref of positionals) {
    const doc = await inspectOne(e, ref, type);
    if (doc !== undefined) docs.push(doc);
  }
  if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
  else process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
  return docs.length < positionals.length ? 1 : 0;
}

export default inspectCommand();
