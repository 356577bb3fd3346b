// `hako save`: images as an OCI layout directory, or an archive when the name ends in .tar.
import { HakoError } from '../../util/errors.js';
import { saveOCIArchive, saveOCILayout } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '-o FILE.tar|DIR IMAGE...',
  flags: {
    output: { type: 'string', short: 'o', value: 'FILE.tar|DIR', help: 'where to write (a .tar name makes an archive, else a directory)' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    if (!v.output) throw new HakoError('"hako save" requires -o FILE.tar or -o DIR');
    const out = v.output as string;
    const images = engineOf(ctx).images;
    if (out.endsWith('.tar')) await saveOCIArchive(images, positionals, out);
    else await saveOCILayout(images, positionals, out);
    return 0;
  },
};
export default command;
