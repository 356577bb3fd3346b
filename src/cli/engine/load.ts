// `hako load`: images from an OCI layout (directory or tar) or a docker save archive.
import { HakoError } from '../../util/errors.js';
import { loadImage } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '-i FILE|DIR',
  flags: {
    input: { type: 'string', short: 'i', value: 'FILE|DIR', help: 'the archive or OCI layout directory to read' },
  },
  async run(ctx, { values: v, positionals }) {
    const input = (v.input as string | undefined) ?? positionals[0];
    if (!input) throw new HakoError('"hako load" requires -i FILE (an OCI layout directory or tar, or a docker save archive)');
    for (const rec of await loadImage(engineOf(ctx).images, input)) process.stdout.write(`Loaded image: ${rec.reference}\n`);
    return 0;
  },
};
export default command;
