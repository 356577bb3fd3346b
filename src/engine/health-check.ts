// Running one health check (`hako healthcheck run`, podman's command); the per-container scheduler
// that runs it every interval is startHealthMonitor in health.ts.
//
// Who runs the checks, without a daemon: docker's daemon times them; podman uses a systemd timer per
// container; conmon cannot run anything but the exit command. hako starts, with a container that has
// a check, a detached /bin/sh loop (~1 MB, no Node) that waits out the interval with
// `timeout INTERVAL tail --pid=CONMON -f /dev/null` — so it also ends within a second of the
// container's conmon — and then runs `hako healthcheck run ID`, a short-lived process that execs
// the check in the container and records the result in <container>/health.json. No systemd timer:
// most hosts hako runs on (containers, CI, this VM) have no systemd, and one mechanism is tested.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { procStat } from '../util/proc.js';
import type { Engine } from './engine.js';
import { type HealthLogEntry, type HealthState, healthConfigOf, readHealth, writeHealth } from './health.js';
import type { HealthConfig } from './types.js';

const OUTPUT_MAX = 4096; // docker keeps the first 4 KiB of a check's output
const LOG_ENTRIES = 5; // and the last five results

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

/** Execs the check's command in the container, output captured, killed at the timeout. */
async function execCheck(e: Engine, id: string, hc: HealthConfig): Promise<HealthLogEntry> {
  const runtime = await e.runtimeFor(id);
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
