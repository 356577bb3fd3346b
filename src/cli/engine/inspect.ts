// `hako inspect`: containers, else images, as docker's JSON (or a --format template each).
import { HakoError } from '../../util/errors.js';
import { logError } from '../../util/log.js';
import { renderTemplate } from '../../engine/format.js';
import type { Engine } from '../../engine/engine.js';
import { oneLine } from '../errors.js';
import type { Command } from '../command.js';
import { engineOf, need, type EngineContext } from './common.js';

/** The container, else the image, named `ref`; undefined (said on stderr) when neither. */
async function inspectOne(e: Engine, ref: string, type: unknown): Promise<unknown> {
  try {
    if (type === 'image') throw new HakoError('image');
    return e.inspect(ref);
  } catch (err) {
    if (type === 'container') {
      logError(oneLine((err as Error).message));
      return undefined;
    }
    try {
      const { inspect } = await import('../../image/index.js');
      return inspect(e.images, ref);
    } catch {
      logError(oneLine(`no such object: ${ref}`));
      return undefined;
    }
  }
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER|IMAGE...',
  flags: {
    format: { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template for each object ({{.Field}}, {{json .Field}})' },
    type: { type: 'string', value: 'container|image', help: 'only objects of this type' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const e = engineOf(ctx);
    const docs: unknown[] = [];
    for (const ref of positionals) {
      const doc = await inspectOne(e, ref, v.type);
      if (doc !== undefined) docs.push(doc);
    }
    if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
    else process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
    return docs.length < positionals.length ? 1 : 0;
  },
};
export default command;
