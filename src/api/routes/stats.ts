// `GET /containers/{id}/stats`: docker's stats document from the container's cgroup (the engine's
// runtime stats), one (`stream=false`) or one a second. CPU usage is in nanoseconds and
// `system_cpu_usage` is the host's from /proc/stat, so clients compute docker's CPU % from two
// documents (`precpu_stats` is the previous one) exactly as they do against docker.
import fs from 'node:fs';
import os from 'node:os';
import type { CgroupStats } from '../../cgroups/index.js';
import type { Engine } from '../../engine/engine.js';
import type { Call } from '../call.js';
import type { ApiContext, Router } from '../router.js';
import { clientGone } from './container-io.js';

export function register(r: Router, api: ApiContext): void {
  r.get('/containers/{id}/stats', (call) => stats(api.engine, call));
}

/** The host's CPU time in nanoseconds (the first line of /proc/stat, in USER_HZ ticks). */
function systemCpuNs(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const ticks = line
    .split(/\s+/)
    .slice(1, 8)
    .reduce((n, v) => n + Number(v), 0);
  return ticks * 1e7; // USER_HZ is 100 on Linux
}

function cpuStats(s: CgroupStats | undefined): Record<string, unknown> {
  const c = s?.cpu;
  return {
    cpu_usage: { total_usage: c?.usageTotal ?? 0, usage_in_kernelmode: c?.usageSystem ?? 0, usage_in_usermode: c?.usageUser ?? 0 },
    system_cpu_usage: systemCpuNs(),
    online_cpus: os.availableParallelism(),
    throttling_data: { periods: c?.periods ?? 0, throttled_periods: c?.throttledPeriods ?? 0, throttled_time: c?.throttledTime ?? 0 },
  };
}

function document(id: string, name: string, now: CgroupStats | undefined, prev: { at: string; cpu: Record<string, unknown> } | undefined) {
  const blk = now?.blkio?.devices ?? [];
  const entries = (op: 'Read' | 'Write', f: 'readBytes' | 'writeBytes') => blk.map((d) => ({ major: d.major, minor: d.minor, op, value: d[f] }));
  return {
    id,
    name: `/${name}`,
    read: new Date().toISOString(),
    preread: prev?.at ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: now?.pids?.current ?? 0, ...(now?.pids?.limit ? { limit: now.pids.limit } : {}) },
    blkio_stats: { io_service_bytes_recursive: [...entries('Read', 'readBytes'), ...entries('Write', 'writeBytes')] },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(now),
    precpu_stats: prev?.cpu ?? { cpu_usage: { total_usage: 0 }, throttling_data: {} },
    memory_stats: now?.memory
      ? { usage: now.memory.usage, max_usage: now.memory.maxUsage, failcnt: now.memory.failcnt, limit: now.memory.limit ?? os.totalmem(), stats: {} }
      : {},
  };
}

async function sample(engine: Engine, id: string): Promise<CgroupStats | undefined> {
  try {
    return (await engine.runtimeFor(id)).stats(id);
  } catch {
    return undefined; // not running: docker's zeroes
  }
}

async function stats(engine: Engine, call: Call): Promise<void> {
  const id = engine.store.resolve(call.params.id);
  const name = engine.store.readConfig(id).name;
  const stream = call.bool('stream', true) && !call.bool('one-shot');
  const first = document(id, name, await sample(engine, id), undefined);
  if (!stream) {
    // docker's non-streaming answer has precpu_stats from a second sample unless one-shot.
    if (!call.bool('one-shot')) await new Promise((r) => setTimeout(r, 1000));
    const doc = call.bool('one-shot') ? first : document(id, name, await sample(engine, id), { at: first.read, cpu: first.cpu_stats });
    return call.send(200, doc);
  }
  const out = call.stream(200, 'application/json');
  const gone = clientGone(call);
  let prev = first;
  out.write(`${JSON.stringify(first)}\n`);
  while (!gone.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    if (gone.aborted) break;
    const running = (await engine.refresh(id).catch(() => undefined))?.status === 'running';
    prev = document(id, name, running ? await sample(engine, id) : undefined, { at: prev.read, cpu: prev.cpu_stats });
    out.write(`${JSON.stringify(prev)}\n`);
    if (!running) break;
  }
  out.end();
}
