// `hako save`: images as docker's save archive (with its manifest.json, an OCI layout too), to -o
// FILE whatever its name, as docker, or to stdout (refused when stdout is a terminal, as docker
// does); podman's --format oci-archive (the bare layout's tar) and oci-dir (a layout directory).
import { HakoError } from '../../util/errors.js';
import { saveArchiveStream, saveOCIArchive, saveOCILayout } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, need, type EngineContext } from './common.js';

const FORMATS = ['docker-archive', 'oci-archive', 'oci-dir'];

const command: Command<EngineContext> = {
  usage: '[-o FILE] [--format docker-archive|oci-archive|oci-dir] IMAGE...',
  flags: {
    output: { type: 'string', short: 'o', value: 'FILE', help: 'the file to write (default: stdout); a directory with --format oci-dir' },
    format: {
      type: 'string',
      value: 'FORMAT',
      help: "podman's: docker-archive (the default: docker's save archive, an OCI layout too), oci-archive, oci-dir (needs -o DIR)",
    },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const format = (v.format as string | undefined) ?? 'docker-archive';
    if (!FORMATS.includes(format)) throw new HakoError(`unknown format "${format}" for "--format" flag: one of ${FORMATS.join(', ')}`);
    const images = engineOf(ctx).images;
    for (const ref of positionals) if (!images.resolve(ref)) throw new HakoError(`No such image: ${ref}`);
    const out = v.output as string | undefined;
    const docker = format === 'docker-archive';
    if (format === 'oci-dir') {
      if (out === undefined || out === '-') throw new HakoError('--format oci-dir writes a directory: name it with -o DIR');
      await saveOCILayout(images, positionals, out);
    } else if (out === undefined || out === '-') {
      if (process.stdout.isTTY) throw new HakoError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      await saveArchiveStream(images, positionals, process.stdout, { docker });
    } else await saveOCIArchive(images, positionals, out, { docker });
    return 0;
  },
};
export default command;
