// `hako cp [-a] [-L] [-q] CONTAINER:SRC DEST|-` and `hako cp [-a] [-L] [-q] SRC|- CONTAINER:DEST`,
// as docker's (the work is in src/engine/cp).
import { HakoError } from '../../util/errors.js';
import { humanSize } from '../../engine/format.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

/** `name:path` names a container path; a local path holding a colon starts with / or . (docker). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-  or  SRC_PATH|- CONTAINER:DEST_PATH',
  flags: {
    archive: { type: 'boolean', short: 'a', help: "keep the source's owners (else root in the container, you on the host)" },
    'follow-link': { type: 'boolean', short: 'L', help: 'follow a symlink that SRC_PATH is' },
    quiet: { type: 'boolean', short: 'q', help: 'no "Successfully copied" line' },
  },
  notes: '- is a tar stream: written to stdout, or read from stdin and extracted into a directory.\nSymlinks in the container resolve inside its root.',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 2)
      throw new HakoError('"hako cp" requires exactly 2 arguments: CONTAINER:SRC_PATH DEST_PATH|- or SRC_PATH|- CONTAINER:DEST_PATH');
    const [src, dest] = positionals.map(splitCpArg);
    if (src.container && dest.container) throw new HakoError('cp: copying between containers is not supported');
    if (!src.container && !dest.container) throw new HakoError('cp: must specify at least one container source');
    const { copyFromContainer, copyToContainer, containerRootfs } = await import('../../engine/cp/index.js');
    const c = containerRootfs(engineOf(ctx).store, (src.container ?? dest.container)!);
    const opts = { archive: Boolean(v.archive), followLink: Boolean(v['follow-link']), container: c.name };
    const bytes = src.container
      ? await copyFromContainer(c.rootfs, src.path, dest.path, opts, process.stdout)
      : await copyToContainer(c.rootfs, src.path, dest.path, opts, process.stdin);
    // docker says so on a terminal only, and never when the copy is the output.
    if (!v.quiet && dest.path !== '-' && process.stderr.isTTY) process.stderr.write(`Successfully copied ${humanSize(bytes)} to ${positionals[1]}\n`);
    return 0;
  },
};
export default command;
