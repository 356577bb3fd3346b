// Running health checks: one check (`hako healthcheck run`, podman's command), and the per-container
// scheduler that runs it every interval.
//
// Who runs the checks, without a daemon: docker's daemon times them; podman uses a systemd timer per
// container; conmon cannot run anything but the exit command. hako starts, with a container that has
// a check, a detached /bin/sh loop (~1 MB, no Node) that waits out the interval with
// `timeout INTERVAL tail --pid=CONMON -f /dev/null` — so it also ends within a second of the
// container's conmon — and then runs `hako healthcheck run ID`, a short-lived process that execs
// the check in the container and records the result in <container>/health.json. No systemd timer:
// most hosts hako runs on (containers, CI, this VM) have no systemd, and one mechanism is tested.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { procStat } from '../util/proc.js';
import type { Engine } from './engine.js';
import { type HealthLogEntry, type HealthState, healthConfigOf, healthFile, readHealth } from './health.js';
import { findBin } from './monitor.js';
import type { HealthConfig } from './types.js';

const OUTPUT_MAX = 4096; // docker keeps the first 4 KiB of a check's output
const LOG_ENTRIES = 5; // and the last five results

/** Starts the scheduler of a container that was just started (nothing without a check). */
export function startHealthMonitor(e: Engine, id: string): void {
  const hc = healthConfigOf(e, id);
  if (!hc) return;
  const st = e.store.readState(id);
  writeHealth(e, id, { Status: 'starting', FailingStreak: 0, Log: [] });
  if (!st.monitorPid) return;
  const loop = 'P=$1 I=$2; shift 2; while :; do timeout "$I" tail -f --pid="$P" /dev/null; [ $? -eq 124 ] || exit 0; "$@" >/dev/null 2>&1; done';
  const seconds = (hc.intervalMs / 1000).toFixed(3);
  const child = spawn('/bin/sh', ['-c', loop, 'hako-health', String(st.monitorPid), seconds, findBin('hako'), '--root', e.root, 'healthcheck', 'run', id], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
}

/** Runs the check once, records it; the status after it. */
export async function runHealthCheck(e: Engine, ref: string): Promise<HealthState['Status']> {
  const id = e.store.resolve(ref);
  const hc = healthConfigOf(e, id);
  if (!hc) throw new HakoError(`container ${ref} has no defined healthcheck`);
  const st = await e.refresh(id);
  if (st.status !== 'running' || st.paused) throw new HakoError(`container ${ref} is not running`);
  const entry = await execCheck(e, id, hc);
  const prev = readHealth(e, id) ?? { Status: 'starting', FailingStreak: 0, Log: [] };
  const inStartPeriod = Date.now() < Date.parse(st.startedAt ?? '') + hc.startPeriodMs;
  const next: HealthState = { ...prev, Log: [...prev.Log, entry].slice(-LOG_ENTRIES) };
  if (entry.ExitCode === 0) {
    next.Status = 'healthy';
    next.FailingStreak = 0;
  } else if (!(inStartPeriod && prev.Status === 'starting')) {
    // docker: failures in the start period do not count while the container has not been healthy.
    next.FailingStreak = prev.FailingStreak + 1;
    if (next.FailingStreak >= hc.retries) next.Status = 'unhealthy';
  }
  writeHealth(e, id, next);
  if (next.Status !== prev.Status) e.event(id, `health_status: ${next.Status}`);
  return next.Status;
}

function writeHealth(e: Engine, id: string, h: HealthState): void {
  const file = healthFile(e, id);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(h));
  fs.renameSync(`${file}.tmp`, file);
}

/** Execs the check's command in the container, output captured, killed at the timeout. */
async function execCheck(e: Engine, id: string, hc: HealthConfig): Promise<HealthLogEntry> {
  const runtime = e.runtimeFor(id);
  const base = runtime.spec(id, e.store.bundleDir(id)).process!;
  const args = hc.test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', hc.test[1] ?? ''] : hc.test.slice(1);
  const dir = fs.mkdtempSync(path.join(e.store.containerDir(id), '.health-'));
  const outFile = path.join(dir, 'out');
  const pidFile = path.join(dir, 'pid');
  const fd = fs.openSync(outFile, 'w+');
  const start = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  try {
    const proc = { ...structuredClone(base), args, terminal: false };
    delete proc.consoleSize;
    const ran = runtime.exec(id, proc, { stdio: ['ignore', fd, fd], pidFile }).catch((err: Error) => {
      fs.writeSync(fd, `${err.message}\n`);
      return 1;
    });
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), hc.timeoutMs);
    });
    const code = await Promise.race([ran, timedOut]);
    if (code === 'timeout') {
      killCheck(pidFile);
      await ran;
      return { Start: start, End: new Date().toISOString(), ExitCode: -1, Output: `Health check exceeded timeout (${goDuration(hc.timeoutMs)})` };
    }
    const out = Buffer.alloc(OUTPUT_MAX);
    const n = fs.readSync(fd, out, 0, OUTPUT_MAX, 0);
    return { Start: start, End: new Date().toISOString(), ExitCode: code, Output: out.subarray(0, n).toString('utf8') };
  } finally {
    clearTimeout(timer);
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function killCheck(pidFile: string): void {
  const pid = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : 0);
  if (pid > 0 && procStat(pid)) process.kill(pid, 'SIGKILL');
}

/** Go's time.Duration.String() for whole milliseconds: 500ms, 30s, 1m30s, 1h0m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  if (h) return `${h}h${m}m${s}s`;
  return m ? `${m}m${s}s` : `${s}s`;
}
