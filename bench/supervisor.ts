// The bench runs in two processes. The one started by `npm run bench` is a supervisor: it re-runs
// the bench as a worker in its own process group and only waits. Reason: the worker spends nearly
// all its time blocked in spawnSync, where Node cannot run a signal handler, so on Ctrl-C/SIGTERM the
// supervisor writes a stop file and signals the worker's whole group; the worker sees the stop file
// after the interrupted peer command returns, and unwinds through its clean-up.
//
// The worker may also get a private mount namespace: crun (1.8 in Debian 12) refuses to run on a
// cgroup v1/v2 hybrid host whose cgroup2 hierarchy (/sys/fs/cgroup/unified) lists any controller
// ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"); on the CI VM it lists
// hugetlb, which no v1 hierarchy claims. To compare against crun at all without changing the host,
// the worker then runs in a private mount namespace where /sys/fs/cgroup/unified is unmounted. Every
// peer (hako included) runs in that same namespace, so the comparison stays like for like; the v1
// controllers are untouched. BENCH_HIDE_UNIFIED=0 disables this (crun then fails its probe), =1 forces it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { BenchConfig } from './config.js';
import { which } from './proc.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const WORKER = 'HAKO_BENCH_WORKER';
const HIDDEN = 'HAKO_BENCH_UNIFIED_HIDDEN';
const STOP = 'HAKO_BENCH_STOP_FILE';

export function unifiedHidden(): boolean {
  return process.env[HIDDEN] === '1';
}

/** True once the supervisor asked the worker to stop. */
export function stopRequested(): boolean {
  const f = process.env[STOP];
  return !!f && fs.existsSync(f);
}

function unifiedHasControllers(): boolean {
  const mounted = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === UNIFIED && / - cgroup2 /.test(l));
  if (!mounted) return false;
  try {
    return fs.readFileSync(`${UNIFIED}/cgroup.controllers`, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

function shouldHide(cfg: BenchConfig): boolean {
  if (cfg.hideUnified === '0') return false;
  if (process.getuid?.() !== 0 || !which('unshare')) return false;
  if (cfg.hideUnified === '1') return true;
  return unifiedHasControllers() && !!(which('crun') || which('podman'));
}

/** In the supervisor: runs the worker and returns its exit status. In the worker: undefined. */
export async function superviseIfNeeded(cfg: BenchConfig): Promise<number | undefined> {
  if (process.env[WORKER] === '1') return undefined;
  const hide = shouldHide(cfg);
  const stopFile = path.join(os.tmpdir(), `hako-bench-stop-${process.pid}`);
  const self = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const [file, args] = hide
    ? ['unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `umount -l ${UNIFIED} && exec "$@"`, 'sh', ...self]]
    : [self[0]!, self.slice(1)];
  const child = spawn(file, args, {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, [WORKER]: '1', [HIDDEN]: hide ? '1' : '0', [STOP]: stopFile },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      fs.writeFileSync(stopFile, sig);
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    });
  }
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    fs.rmSync(stopFile, { force: true });
  }
}
