// Where a rootless engine may put its containers' cgroups: a subtree delegated to the user, found as
// podman finds it without systemd, from /proc/self/cgroup. On cgroup v2 a cgroup is delegated to a
// user when its directory, cgroup.procs and cgroup.subtree_control are the user's (systemd does this
// for user@UID.service, Delegate=yes). We walk up from our own cgroup while that holds; the topmost
// such cgroup is the delegation. Containers go to <delegation>/hako/<id>: a sibling of the cgroup we
// run in, because v2 lets only leaves hold processes once controllers are enabled below them.
// v1 delegation is not safe (the kernel's docs) and is not used: rootless on v1 has no cgroups.
import fs from 'node:fs';
import path from 'node:path';
import { detectLayout, DEFAULT_CGROUP_ROOT } from './layout.js';

/** The controllers the engine's limit flags need: -m (memory), --pids-limit (pids), --cpus (cpu). */
export const LIMIT_CONTROLLERS = ['memory', 'pids', 'cpu'];

export type Delegation = { parent: string; controllers: string[] } | { reason: string };

/** Our cgroup v2 path from /proc/self/cgroup's `0::PATH` line. */
export function ownCgroupV2(procSelfCgroup: string): string | undefined {
  const line = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3) || '/' : undefined;
}

function ownedBy(dir: string, uid: number): boolean {
  try {
    if (fs.statSync(dir).uid !== uid) return false;
    for (const f of ['cgroup.procs', 'cgroup.subtree_control']) fs.accessSync(path.join(dir, f), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The parent cgroup (a path below the hierarchy's root) for a rootless user's containers, with the
 *  controllers it offers; or the one-line reason there is none. */
export function findDelegation(opts: { uid?: number; root?: string; procSelfCgroup?: string } = {}): Delegation {
  const root = opts.root ?? DEFAULT_CGROUP_ROOT;
  const uid = opts.uid ?? process.geteuid!();
  const layout = detectLayout(root);
  if (layout !== 'v2') return { reason: `this host has cgroup ${layout === 'hybrid' ? 'v1 (hybrid)' : 'v1'}` };
  const own = ownCgroupV2(opts.procSelfCgroup ?? readOr('/proc/self/cgroup'));
  if (!own) return { reason: 'no cgroup v2 line in /proc/self/cgroup' };
  let top: string | undefined;
  for (let cur = own; cur !== '/'; cur = path.posix.dirname(cur)) {
    if (!ownedBy(path.join(root, cur), uid)) break;
    top = cur;
  }
  if (!top) return { reason: `our cgroup ${own} is not the user's` };
  if (top === own) return { reason: `our cgroup ${own} is the user's but holds our own process: run in a child of it (as systemd's init.scope)` };
  const controllers = words(readOr(path.join(root, top, 'cgroup.controllers')));
  return { parent: top, controllers };
}

/** Why `wanted` controllers cannot be used below a delegation, or undefined when all are there. */
export function missingControllers(d: Delegation, wanted: string[]): string | undefined {
  if ('reason' in d) return d.reason;
  const missing = wanted.filter((c) => !d.controllers.includes(c));
  return missing.length
    ? `the delegated cgroup ${d.parent} lacks the ${missing.join(', ')} controller${missing.length > 1 ? 's' : ''} (not in its cgroup.controllers)`
    : undefined;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
