// The runc commands that work through the container's cgroup: update, ps, events.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { asHakoError, HakoError } from '../util/errors.js';
import type { Runtime } from './runtime.js';
import type { Resources } from '../oci/types.js';
import { validateResources } from '../oci/validate.js';
import { validateId } from './state.js';
import { sleepMs } from '../util/sleep.js';
import type { CgroupStats } from '../cgroups/index.js';

/** runc update's flags -> linux.resources (values as runc parses them: numbers, `-1` unlimited). */
export function resourcesFromFlags(v: Record<string, unknown>): Resources {
  const num = (flag: string): number | undefined => {
    const raw = v[flag];
    if (raw === undefined) return undefined;
    const n = parseSize(String(raw));
    if (n === undefined) throw new HakoError(`update: --${flag}: not a number: "${raw}"`);
    return n;
  };
  const r: Resources = {};
  const memory = { limit: num('memory'), reservation: num('memory-reservation'), swap: num('memory-swap'), kernel: num('kernel-memory') };
  if (Object.values(memory).some((x) => x !== undefined)) r.memory = strip(memory);
  const cpu = {
    shares: num('cpu-share'),
    quota: num('cpu-quota'),
    period: num('cpu-period'),
    realtimeRuntime: num('cpu-rt-runtime'),
    realtimePeriod: num('cpu-rt-period'),
    cpus: v['cpuset-cpus'] as string | undefined,
    mems: v['cpuset-mems'] as string | undefined,
  };
  if (Object.values(cpu).some((x) => x !== undefined)) r.cpu = strip(cpu);
  const pids = num('pids-limit');
  if (pids !== undefined) r.pids = { limit: pids };
  const weight = num('blkio-weight');
  if (weight !== undefined) r.blockIO = { weight };
  return r;
}

/** Numbers with runc's size suffixes (k, m, g; as units of 1024). */
function parseSize(s: string): number | undefined {
  const m = /^(-?\d+)([kmgKMG]?)[bB]?$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2].toLowerCase()];
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

export function readResourcesFile(file: string): Resources {
  try {
    const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
    return validateResources(JSON.parse(text), `update: --resources ${file}`);
  } catch (e) {
    if (e instanceof HakoError) throw e;
    // A system error (no such file) as "<strerror> (CODE)"; a JSON one as its message.
    throw e instanceof SyntaxError ? new HakoError(`update: --resources ${file}: invalid JSON: ${e.message}`) : asHakoError(`update: --resources ${file}`, e);
  }
}

/** `ps`: the container's processes, as pids (json) or a small table read from /proc. */
export function psOutput(rt: Runtime, id: string, format: string, psArgs: string[] = []): string {
  const rec = rt.states.read(validateId(id));
  const pids = rt.containerPids(rec);
  if (format === 'json') return `${JSON.stringify(pids)}\n`;
  if (format !== 'table') throw new HakoError(`ps: --format must be table or json, got "${format}"`);
  // runc runs ps(1) (`-ef` unless told otherwise) and keeps the header and the container's lines.
  if (psArgs.length || fs.existsSync('/usr/bin/ps') || fs.existsSync('/bin/ps')) return filteredPs(pids, psArgs.length ? psArgs : ['-ef']);
  const rows = [['UID', 'PID', 'PPID', 'STAT', 'CMD']];
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const uid = /Uid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      rows.push([uid, String(pid), fields[1], fields[0], cmd]);
    } catch {
      /* exited meanwhile */
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}

function filteredPs(pids: number[], args: string[]): string {
  const r = spawnSync('ps', args, { encoding: 'utf8' });
  if (r.error) throw new HakoError(`ps: running ps ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new HakoError(`ps: ps ${args.join(' ')} exited with status ${r.status}: ${(r.stderr + r.stdout).trim().split('\n')[0]}`);
  const [header, ...lines] = r.stdout.split('\n');
  const pidIndex = header.trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new HakoError(`ps: the output of ps ${args.join(' ')} has no PID column`);
  const wanted = new Set(pids);
  const kept = lines.filter((l) => l.trim() && wanted.has(Number(l.trim().split(/\s+/)[pidIndex])));
  return [header, ...kept].join('\n') + '\n';
}

/** runc's events JSON for stats. */
export function statsEvent(id: string, s: CgroupStats): object {
  return {
    type: 'stats',
    id,
    data: {
      cpu: s.cpu && {
        usage: { total: s.cpu.usageTotal, kernel: s.cpu.usageSystem, user: s.cpu.usageUser },
        throttling: { periods: s.cpu.periods, throttledPeriods: s.cpu.throttledPeriods, throttledTime: s.cpu.throttledTime },
      },
      memory: s.memory && {
        usage: { usage: s.memory.usage, limit: s.memory.limit ?? 0, max: s.memory.maxUsage ?? 0, failcnt: s.memory.failcnt ?? 0 },
        swap: s.memory.swapUsage !== undefined ? { usage: s.memory.swapUsage } : undefined,
        oom_kills: s.memory.oomKills,
      },
      pids: s.pids && { current: s.pids.current, limit: s.pids.limit ?? 0 },
      blkio: s.blkio && { devices: s.blkio.devices },
    },
  };
}

/** `events`: with `once`, one stats event; otherwise a stats event every interval and an `oom`
 *  event whenever the OOM-kill count grows, until the container is gone. The count is read once
 *  more after the loop: an OOM kill of the container's init stops the container, and that last
 *  kill is the one that matters most. */
export function streamEvents(rt: Runtime, id: string, opts: { once: boolean; intervalMs: number; out: (line: string) => void }): void {
  const rec = rt.states.read(validateId(id));
  const cg = rt.cgroupOf(rec);
  if (!cg?.exists()) throw new HakoError(`container "${id}" has no cgroup`);
  if (opts.once) {
    opts.out(JSON.stringify(statsEvent(id, cg.stats())));
    return;
  }
  let ooms = cg.oomKills();
  const reportOoms = (): void => {
    const now = cg.oomKills();
    if (now > ooms) opts.out(JSON.stringify({ type: 'oom', id }));
    ooms = now;
  };
  let next = Date.now();
  while (cg.exists() && rt.status(rec) !== 'stopped') {
    reportOoms();
    if (Date.now() >= next) {
      opts.out(JSON.stringify(statsEvent(id, cg.stats())));
      next = Date.now() + opts.intervalMs;
    }
    sleepMs(Math.min(100, opts.intervalMs));
  }
  // The cgroup of a stopped container stays until `delete`; a missing one reads as no kills.
  reportOoms();
}
