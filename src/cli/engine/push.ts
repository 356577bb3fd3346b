// `hako push [-q] [-a] NAME[:TAG]` and `hako tag SOURCE TARGET`, with docker's output.
import { HakoError } from '../../util/errors.js';
import type { Engine } from '../../engine/engine.js';
import { parseFlags } from '../../engine/flags.js';

const ROOT = { root: { type: 'string' as const } };

export async function pushCommand(args: string[], engine: () => Engine): Promise<number> {
  const { values: v, positionals } = parseFlags('push', args, { quiet: { type: 'boolean', short: 'q' }, 'all-tags': { type: 'boolean', short: 'a' }, ...ROOT });
  if (positionals.length !== 1) throw new HakoError('"hako push" requires exactly 1 argument: NAME[:TAG]');
  const { push, pushPrinter, parseReference } = await import('../../image/index.js');
  const store = engine().images;
  const named = parseReference(positionals[0], { defaultTag: !v['all-tags'] });
  if (v['all-tags'] && (named.tag || named.digest)) throw new HakoError('push: tag can\'t be used with --all-tags/-a');
  const refs = v['all-tags']
    ? store.listImages().map((r) => parseReference(r.reference)).filter((r) => r.name === named.name)
    : [named];
  if (!refs.length || !store.resolve(refs[0].toString())) throw new HakoError(`an image does not exist locally with the tag: ${named.familiar()}`);
  const out = (line: string) => { if (!v.quiet) process.stdout.write(`${line}\n`); };
  for (const ref of refs) {
    await push(ref.toString(), { store, destination: ref, onProgress: pushPrinter(out, ref) });
  }
  if (v.quiet) process.stdout.write(`${named.familiar()}\n`);
  return 0;
}

export async function tagCommand(args: string[], engine: () => Engine): Promise<number> {
  const { positionals } = parseFlags('tag', args, { ...ROOT });
  if (positionals.length !== 2) throw new HakoError('"hako tag" requires exactly 2 arguments: SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]');
  const { parseReference } = await import('../../image/index.js');
  const store = engine().images;
  const rec = store.resolve(positionals[0]);
  if (!rec) throw new HakoError(`no such image: ${positionals[0]}`);
  const target = parseReference(positionals[1]);
  if (target.digest) throw new HakoError(`tag: refusing to create a tag with a digest reference: ${positionals[1]}`);
  store.tag(target, rec.digest, { manifest: rec.manifest });
  return 0;
}
