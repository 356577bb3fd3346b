// `hako stats`: CPU, memory and pids of running containers, read from their cgroups through the
// runtime (the same numbers as `hako runtime events --stats`). CPU % needs two samples, like docker.
import { humanSize, table } from './format.js';
import type { Engine } from './engine.js';
import type { CgroupStats } from '../cgroups/index.js';
import { needCgroup } from './rootless.js';

export interface StatsRow {
  id: string;
  name: string;
  cpuPercent: number;
  memUsage: number;
  memLimit?: number;
  pids: number;
}

interface Sample {
  at: bigint;
  cpu: number;
  stats: CgroupStats;
}

async function sample(engine: Engine, id: string): Promise<Sample | undefined> {
  try {
    const stats = (await engine.runtimeFor(id)).stats(id);
    return { at: process.hrtime.bigint(), cpu: stats.cpu?.usageTotal ?? 0, stats };
  } catch {
    return undefined; // stopped meanwhile
  }
}

/** One row per running container from two samples `intervalMs` apart. */
export async function statsRows(engine: Engine, refs: string[], intervalMs: number): Promise<StatsRow[]> {
  needCgroup('stats');
  const running = (await engine.list()).filter(({ state }) => state.status === 'running');
  const wanted = refs.length ? refs.map((r) => engine.store.resolve(r)) : running.map(({ config }) => config.id);
  const first = new Map<string, Sample | undefined>();
  for (const id of wanted) first.set(id, await sample(engine, id));
  await new Promise((r) => setTimeout(r, intervalMs));
  const rows: StatsRow[] = [];
  for (const id of wanted) {
    const a = first.get(id);
    const b = await sample(engine, id);
    if (!a || !b) continue;
    const wallNs = Number(b.at - a.at);
    const cpuPercent = wallNs > 0 ? ((b.cpu - a.cpu) / wallNs) * 100 : 0;
    const name = engine.store.readConfig(id).name;
    rows.push({ id, name, cpuPercent, memUsage: b.stats.memory?.usage ?? 0, memLimit: b.stats.memory?.limit, pids: b.stats.pids?.current ?? 0 });
  }
  return rows;
}

export function renderStats(rows: StatsRow[]): string {
  return table([
    ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'],
    ...rows.map((r) => [
      r.id.slice(0, 12),
      r.name,
      `${r.cpuPercent.toFixed(2)}%`,
      `${humanSize(r.memUsage)} / ${r.memLimit !== undefined ? humanSize(r.memLimit) : 'unlimited'}`,
      r.memLimit ? `${((r.memUsage / r.memLimit) * 100).toFixed(2)}%` : '--',
      String(r.pids),
    ]),
  ]);
}
