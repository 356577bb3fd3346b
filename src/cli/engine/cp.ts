// `hako cp [-a] [-L] [-q] CONTAINER:SRC DEST|-` and `hako cp [-a] [-L] [-q] SRC|- CONTAINER:DEST`,
// as docker's (the work is in src/engine/cp).
import { HakoError } from '../../util/errors.js';
import type { Engine } from '../../engine/engine.js';
import { parseFlags } from '../../engine/flags.js';
import { humanSize } from '../../engine/format.js';

const ROOT = { root: { type: 'string' as const } };

/** `name:path` names a container path; a local path holding a colon starts with / or ./ (docker). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

export async function cpCommand(args: string[], engine: () => Engine): Promise<number> {
  const { values: v, positionals } = parseFlags('cp', args, {
    archive: { type: 'boolean', short: 'a' }, 'follow-link': { type: 'boolean', short: 'L' }, quiet: { type: 'boolean', short: 'q' }, ...ROOT,
  });
  if (positionals.length !== 2) throw new HakoError('"hako cp" requires exactly 2 arguments: CONTAINER:SRC_PATH DEST_PATH|- or SRC_PATH|- CONTAINER:DEST_PATH');
  const [src, dest] = positionals.map(splitCpArg);
  if (src.container && dest.container) throw new HakoError('cp: copying between containers is not supported');
  if (!src.container && !dest.container) throw new HakoError('cp: must specify at least one container source');
  const { copyFromContainer, copyToContainer, containerRootfs } = await import('../../engine/cp/index.js');
  const c = containerRootfs(engine().store, (src.container ?? dest.container)!);
  const opts = { archive: Boolean(v.archive), followLink: Boolean(v['follow-link']), container: c.name };
  const bytes = src.container
    ? await copyFromContainer(c.rootfs, src.path, dest.path, opts, process.stdout)
    : await copyToContainer(c.rootfs, src.path, dest.path, opts, process.stdin);
  // docker says so on a terminal only, and never when the copy is the output.
  if (!v.quiet && dest.path !== '-' && process.stderr.isTTY) process.stderr.write(`Successfully copied ${humanSize(bytes)} to ${positionals[1]}\n`);
  return 0;
}
