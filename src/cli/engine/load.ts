// `hako load`: images from an OCI layout (directory or tar) or a docker save archive, named by -i
// or read from stdin (`hako load < x.tar`, as docker; not from a terminal).
import { HakoError } from '../../util/errors.js';
import { loadImage, loadImageStream } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[-i FILE|DIR] [< FILE]',
  flags: {
    input: { type: 'string', short: 'i', value: 'FILE|DIR', help: 'the archive or OCI layout directory to read (default: stdin)' },
    quiet: { type: 'boolean', short: 'q', help: 'accepted for docker compatibility (load prints no progress)' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako load" takes at most one FILE');
    const input = (v.input as string | undefined) ?? positionals[0];
    const store = engineOf(ctx).images;
    if (!input && process.stdin.isTTY) throw new HakoError('requested load from stdin, but stdin is empty (use -i FILE, or redirect an archive)');
    const loaded = input ? await loadImage(store, input) : await loadImageStream(store, process.stdin);
    for (const rec of loaded) process.stdout.write(`Loaded image: ${rec.reference}\n`);
    return 0;
  },
};
export default command;
