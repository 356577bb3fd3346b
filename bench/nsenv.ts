// crun (1.8 in Debian 12) refuses to run on a cgroup v1/v2 hybrid host whose cgroup2 hierarchy
// (/sys/fs/cgroup/unified) lists any controller ("cgroups in hybrid mode not supported, drop all
// controllers from cgroupv2"); on the CI VM it lists hugetlb, which no v1 hierarchy claims. To
// compare against crun at all without changing the host, the bench re-runs itself once in a private
// mount namespace where /sys/fs/cgroup/unified is unmounted. Every peer (hako included) then runs in
// that same namespace, so the comparison stays like for like; the v1 controllers are untouched.
// BENCH_HIDE_UNIFIED=0 disables this (crun is then reported as failing its probe), =1 forces it.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { BenchConfig } from './config.js';
import { which } from './proc.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const MARK = 'HAKO_BENCH_IN_PRIVATE_MNTNS';

export function unifiedHidden(): boolean {
  return process.env[MARK] === '1';
}

function unifiedHasControllers(): boolean {
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .some((l) => l.split(' ')[4] === UNIFIED && / - cgroup2 /.test(l));
  if (!mounted) return false;
  try {
    return fs.readFileSync(`${UNIFIED}/cgroup.controllers`, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/** Re-executes the bench in a private mount namespace when needed; returns the child's exit status,
 *  or undefined when the current process should just carry on. */
export function reexecIfNeeded(cfg: BenchConfig): number | undefined {
  if (unifiedHidden() || cfg.hideUnified === '0') return undefined;
  if (cfg.hideUnified === 'auto' && !(unifiedHasControllers() && (which('crun') || which('podman')))) return undefined;
  if (process.getuid?.() !== 0 || !which('unshare')) return undefined;
  // The parent only waits; Ctrl-C reaches the child (same process group), which cleans up.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const res = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
    `umount -l ${UNIFIED} && exec "$@"`, 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
  { stdio: 'inherit', env: { ...process.env, [MARK]: '1' } });
  if (res.error) throw res.error;
  return res.status ?? 1;
}
