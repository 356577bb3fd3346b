// `hako update`: new limits and restart policy for a container. They are kept in its options and
// bundle (a later start uses them) and, while it runs, applied to its cgroup by the runtime.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import type { Resources, Spec } from '../oci/types.js';
import type { Engine } from './engine.js';
import type { RestartPolicy, RunOptions } from './types.js';
import { EngineError } from './exit-codes.js';
import { parseBytes, parseRestart } from './flags.js';
import { needCgroup } from './rootless.js';

export interface UpdateRequest {
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  restart?: RestartPolicy;
}

const bad = (flag: string, value: string, why: string) => new EngineError(`invalid argument "${value}" for "--${flag}" flag: ${why}`);

/** The flags' values as a request; a bad value is the engine's failure (125), as in docker. */
export function parseUpdate(v: Record<string, unknown>): UpdateRequest {
  const s = (k: string) => v[k] as string | undefined;
  const req: UpdateRequest = {};
  try {
    if (s('memory') !== undefined) req.memory = parseBytes(s('memory')!, 'memory');
    if (s('memory-swap') !== undefined) req.memorySwap = s('memory-swap') === '-1' ? -1 : parseBytes(s('memory-swap')!, 'memory-swap');
    if (s('restart') !== undefined) req.restart = parseRestart(s('restart')!);
  } catch (e) {
    throw e instanceof HakoError ? new EngineError(e.message) : e;
  }
  if (req.memory !== undefined && req.memory < 6 * 1024 * 1024) throw bad('memory', s('memory')!, 'the minimum memory limit is 6m');
  if (s('cpus') !== undefined) {
    const n = Number(s('cpus'));
    if (!/^\d+(\.\d+)?$/.test(s('cpus')!) || n <= 0 || n > os.availableParallelism())
      throw bad('cpus', s('cpus')!, `expected a number of CPUs from 0.01 to ${os.availableParallelism()}`);
    req.cpus = n;
  }
  for (const [flag, key, min] of [
    ['cpu-shares', 'cpuShares', 2],
    ['pids-limit', 'pidsLimit', -1],
  ] as const) {
    const val = s(flag);
    if (val === undefined) continue;
    if (!/^-?\d+$/.test(val) || Number(val) < min) throw bad(flag, val, `expected an integer of at least ${min}`);
    req[key] = Number(val);
  }
  if (!Object.keys(req).length) throw new EngineError('update: you must provide one or more flags when using this command');
  return req;
}

/** linux.resources for the limits in `o` that the request touches. */
function resourcesOf(o: RunOptions, req: UpdateRequest): Resources {
  const r: Resources = {};
  if (req.memory !== undefined || req.memorySwap !== undefined)
    r.memory = { limit: o.memory ?? -1, swap: o.memorySwap ?? (o.memory !== undefined ? o.memory * 2 : -1) };
  if (req.cpus !== undefined) r.cpu = { period: 100000, quota: Math.round(o.cpus! * 100000) };
  if (req.cpuShares !== undefined) r.cpu = { ...(r.cpu ?? {}), shares: o.cpuShares };
  if (req.pidsLimit !== undefined) r.pids = { limit: o.pidsLimit! > 0 ? o.pidsLimit! : -1 };
  return r;
}

export async function updateContainer(e: Engine, ref: string, req: UpdateRequest): Promise<void> {
  const id = e.store.resolve(ref);
  if (['memory', 'memorySwap', 'cpus', 'cpuShares', 'pidsLimit'].some((k) => req[k as keyof UpdateRequest] !== undefined)) needCgroup('update');
  await e.store.lock(id, async () => {
    const cfg = e.store.readConfig(id);
    if (req.restart && req.restart.name !== 'no' && cfg.options.rm)
      throw new HakoError('update: restart policy cannot be updated because AutoRemove is enabled for the container');
    const o: RunOptions = { ...cfg.options };
    if (req.memory !== undefined) {
      o.memory = req.memory;
      if (req.memorySwap === undefined) o.memorySwap = undefined;
    }
    if (req.memorySwap !== undefined) {
      if (o.memory === undefined) throw new HakoError('update: --memory-swap needs a memory limit (--memory)');
      if (req.memorySwap !== -1 && req.memorySwap < o.memory) throw new HakoError('update: --memory-swap must be at least --memory');
      o.memorySwap = req.memorySwap;
    }
    for (const k of ['cpus', 'cpuShares', 'pidsLimit', 'restart'] as const) if (req[k] !== undefined) (o as unknown as Record<string, unknown>)[k] = req[k];
    const resources = resourcesOf(o, req);
    if ((await e.refresh(id)).status === 'running') await (await e.hakoRuntime()).update(id, resources);
    e.store.writeConfig({ ...cfg, options: o });
    // The bundle's config.json is what the next start runs with.
    const file = path.join(e.store.bundleDir(id), 'config.json');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as Spec;
    const cur = spec.linux?.resources ?? {};
    spec.linux = { ...spec.linux, resources: { ...cur, ...resources, ...(resources.cpu ? { cpu: { ...cur.cpu, ...resources.cpu } } : {}) } };
    fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  });
}
