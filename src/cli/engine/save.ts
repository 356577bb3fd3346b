// `hako save`: images as an OCI layout directory, or an archive when the name ends in .tar; without
// -o, a docker save archive (with its manifest.json, an OCI layout too) on stdout, refused when
// stdout is a terminal, as docker does.
import { HakoError } from '../../util/errors.js';
import { saveArchiveStream, saveOCIArchive, saveOCILayout } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[-o FILE.tar|DIR] IMAGE...',
  flags: {
    output: { type: 'string', short: 'o', value: 'FILE.tar|DIR', help: 'where to write (a .tar name makes an archive, else a directory; default: stdout)' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const images = engineOf(ctx).images;
    for (const ref of positionals) if (!images.resolve(ref)) throw new HakoError(`No such image: ${ref}`);
    const out = v.output as string | undefined;
    if (out === undefined || out === '-') {
      if (process.stdout.isTTY) throw new HakoError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      await saveArchiveStream(images, positionals, process.stdout);
    } else if (out.endsWith('.tar')) await saveOCIArchive(images, positionals, out);
    else await saveOCILayout(images, positionals, out);
    return 0;
  },
};
export default command;
