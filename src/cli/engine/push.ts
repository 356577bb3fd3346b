// `hako push [-q] [-a] NAME[:TAG]`: an image of the store to its registry, with docker's output.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NAME[:TAG]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'no progress output, only the name' },
    'all-tags': { type: 'boolean', short: 'a', help: 'push every tag of the repository in the store' },
  },
  notes: 'Credentials: hako login (~/.config/hako/auth.json), else ~/.docker/config.json.',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako push" requires exactly 1 argument: NAME[:TAG]');
    const { push, pushPrinter, parseReference } = await import('../../image/index.js');
    const store = engineOf(ctx).images;
    const named = parseReference(positionals[0], { defaultTag: !v['all-tags'] });
    if (v['all-tags'] && (named.tag || named.digest)) throw new HakoError("push: tag can't be used with --all-tags/-a");
    const refs = v['all-tags']
      ? store
          .listImages()
          .map((r) => parseReference(r.reference))
          .filter((r) => r.name === named.name)
      : [named];
    if (!refs.length || !store.resolve(refs[0].toString())) throw new HakoError(`an image does not exist locally with the tag: ${named.familiar()}`);
    const out = (line: string) => {
      if (!v.quiet) process.stdout.write(`${line}\n`);
    };
    const { recordEvent } = await import('../../engine/events.js');
    for (const ref of refs) {
      const digest = await push(ref.toString(), { store, destination: ref, onProgress: pushPrinter(out, ref) });
      recordEvent(engineOf(ctx).root, 'image', 'push', ref.toString(), { name: ref.toString(), digest });
    }
    if (v.quiet) process.stdout.write(`${named.familiar()}\n`);
    return 0;
  },
};
export default command;
