// `hako stats`: CPU, memory, network, block I/O and pids of running containers, read from their
// cgroups through the runtime (the same numbers as `hako runtime events --stats`) and from their
// network namespace's /proc/PID/net/dev. CPU % needs two samples, like docker.
import fs from 'node:fs';
import { humanSize } from './format.js';
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
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
}

/** Bytes received and sent on the container's interfaces but `lo` (docker counts its networks'). */
export function netBytes(pid: number): { rx: number; tx: number } {
  let text = '';
  try {
    // --network host: the host's interfaces are not the container's (docker shows 0B / 0B).
    const own = pid > 0 && fs.readlinkSync(`/proc/${pid}/ns/net`) !== fs.readlinkSync('/proc/self/ns/net');
    text = own ? fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8') : '';
  } catch {
    /* exited meanwhile */
  }
  return parseNetDev(text);
}

/** The sums of /proc/net/dev's receive and transmit bytes, `lo` left out. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    rx += f[0] || 0;
    tx += f[8] || 0;
  }
  return { rx, tx };
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

/** One row per container named (else per running one; `all`: every one) from two samples
 *  `intervalMs` apart; a container that is not running has a row of zeros, as docker's `-a`. */
export async function statsRows(engine: Engine, refs: string[], intervalMs: number, all = false): Promise<StatsRow[]> {
  needCgroup('stats');
  const list = await engine.list();
  const wanted = refs.length
    ? refs.map((r) => engine.store.resolve(r))
    : list.filter(({ state }) => all || state.status === 'running').map(({ config }) => config.id);
  const pids = new Map(list.map(({ config, state }) => [config.id, state.status === 'running' ? state.pid : 0]));
  const first = new Map<string, Sample | undefined>();
  for (const id of wanted) first.set(id, await sample(engine, id));
  await new Promise((r) => setTimeout(r, intervalMs));
  const rows: StatsRow[] = [];
  for (const id of wanted) {
    const a = first.get(id);
    const b = await sample(engine, id);
    const name = engine.store.readConfig(id).name;
    if (!a || !b) {
      if (all || refs.length) rows.push({ id, name, cpuPercent: 0, memUsage: 0, memLimit: 0, pids: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 });
      continue;
    }
    const wallNs = Number(b.at - a.at);
    const cpuPercent = wallNs > 0 ? ((b.cpu - a.cpu) / wallNs) * 100 : 0;
    const net = netBytes(pids.get(id) ?? 0);
    const devices = b.stats.blkio?.devices ?? [];
    rows.push({
      id,
      name,
      cpuPercent,
      memUsage: b.stats.memory?.usage ?? 0,
      memLimit: b.stats.memory?.limit,
      pids: b.stats.pids?.current ?? 0,
      netRx: net.rx,
      netTx: net.tx,
      blockRead: devices.reduce((n, d) => n + d.readBytes, 0),
      blockWrite: devices.reduce((n, d) => n + d.writeBytes, 0),
    });
  }
  return rows;
}

/** A row with docker's `stats --format` fields ({{.Container}}, {{.CPUPerc}}, {{.NetIO}}, …). */
export function statsFields(r: StatsRow, noTrunc = false): Record<string, string> {
  const id = noTrunc ? r.id : r.id.slice(0, 12);
  return {
    Container: id,
    ID: id,
    Name: r.name,
    CPUPerc: `${r.cpuPercent.toFixed(2)}%`,
    MemUsage: `${humanSize(r.memUsage)} / ${r.memLimit !== undefined ? humanSize(r.memLimit) : 'unlimited'}`,
    MemPerc: r.memLimit ? `${((r.memUsage / r.memLimit) * 100).toFixed(2)}%` : r.memLimit === 0 ? '0.00%' : '--',
    NetIO: `${humanSize(r.netRx)} / ${humanSize(r.netTx)}`,
    BlockIO: `${humanSize(r.blockRead)} / ${humanSize(r.blockWrite)}`,
    PIDs: String(r.pids),
  };
}

export const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const STATS_HEADERS = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};
