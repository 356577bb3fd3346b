// `container prune`, `image prune`, `network prune`, `volume prune`, `system prune` and `system df`
// as docker's: what is unused goes, with the space it took.
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import type { Engine } from './engine.js';
import type { ContainerConfig, ContainerState } from './types.js';
import { pruneLayers } from './rootfs.js';
import { VolumeStore, treeSize, volumeUsers } from './volumes.js';
import { Pods } from './pods.js';
import { parseReference } from '../oci/image/reference.js';
import { recordEvent } from './events.js';

/** `--filter until=…` and `label=…`/`label!=…`, the filters docker's prunes take. */
export interface PruneFilters {
  /** Only what was created before this (ms since the epoch). */
  until?: number;
  labels: { key: string; value?: string; negate: boolean }[];
}

/** `until=24h`, `until=2026-01-02T03:04:05Z`, `until=1700000000`, `label=k`, `label=k=v`, `label!=k`. */
export function parsePruneFilters(values: string[], now = Date.now()): PruneFilters {
  const out: PruneFilters = { labels: [] };
  for (const f of values) {
    const m = /^(until|label!?)=(.+)$/.exec(f);
    if (!m) throw new HakoError(`invalid filter "${f}" (prune takes until=… and label=…, label!=…)`);
    if (m[1] === 'until') out.until = parseUntil(m[2], now);
    else {
      const eq = m[2].indexOf('=');
      out.labels.push({ key: eq < 0 ? m[2] : m[2].slice(0, eq), value: eq < 0 ? undefined : m[2].slice(eq + 1), negate: m[1] === 'label!' });
    }
  }
  return out;
}

function parseUntil(v: string, now: number): number {
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (d) return now - Number(d[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 'ms' | 's' | 'm' | 'h'];
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new HakoError(`invalid filter "until=${v}": expected a duration (24h) or a timestamp`);
  return t;
}

export function matchesFilters(f: PruneFilters, created: string, labels: Record<string, string>): boolean {
  if (f.until !== undefined && Date.parse(created) >= f.until) return false;
  return f.labels.every(({ key, value, negate }) => {
    const has = key in labels && (value === undefined || labels[key] === value);
    return negate ? !has : has;
  });
}

const STOPPED = new Set<ContainerState['status']>(['exited', 'created']);

/** Bytes a container wrote (its overlay upper directory, or its copied root filesystem). */
export async function containerSize(e: Engine, id: string): Promise<number> {
  const fsDir = path.join(e.store.containerDir(id), 'fs');
  const upper = await treeSize(path.join(fsDir, 'upper'));
  return upper;
}

/** Removes stopped containers (exited or created). */
export async function pruneContainers(e: Engine, f: PruneFilters = { labels: [] }): Promise<{ deleted: string[]; bytes: number }> {
  const deleted: string[] = [];
  let bytes = 0;
  e.store.sweepAbandoned(); // what a killed create or rm left
  for (const { config, state } of await e.list()) {
    if (!STOPPED.has(state.status) || !matchesFilters(f, config.created, config.options.labels)) continue;
    if (config.options.infraOf && new Pods(e).exists(config.options.infraOf)) continue; // goes with its pod
    const size = await containerSize(e, config.id);
    await e.remove(config.id);
    deleted.push(config.id);
    bytes += size;
  }
  return { deleted, bytes };
}

/** Removes dangling images (no tag: stored by digest only) or, with `all`, every image no container
 *  uses; then their unpacked layers and blobs. Blobs go at once (no grace period): a pull running in
 *  another process at the same moment may have to be repeated. */
export async function pruneImages(
  e: Engine,
  opts: { all?: boolean; filters?: PruneFilters } = {},
): Promise<{ untagged: string[]; deleted: string[]; bytes: number }> {
  const f = opts.filters ?? { labels: [] };
  const untagged: string[] = [];
  const used = await e.imagesInUse();
  for (const rec of e.images.listImages()) {
    let tagged = true;
    try {
      tagged = parseReference(rec.reference).tag !== undefined;
    } catch {
      /* keep */
    }
    if (!opts.all && tagged) continue;
    if ([rec.digest, rec.manifest, rec.config].some((d) => used.has(d))) continue;
    let config: { created?: string; config?: { Labels?: Record<string, string> } } = {};
    try {
      config = e.images.readJSON(rec.config);
    } catch {
      /* missing config: no labels */
    }
    if (!matchesFilters(f, config.created ?? rec.tagged, config.config?.Labels ?? {})) continue;
    for (const r of e.images.removeImage(rec.reference, { force: true })) {
      untagged.push(r);
      recordEvent(e.root, 'image', 'untag', r, { name: r });
    }
  }
  pruneLayers(e.images, e.store.containerDir(''));
  const gc = e.images.gc({ gracePeriodMs: 0 });
  return { untagged, deleted: gc.removed, bytes: gc.bytes };
}

/** Removes networks no container is attached to (never the default network). */
export async function pruneNetworks(e: Engine): Promise<string[]> {
  await e.reapNetworks();
  const store = e.networks.store;
  const deleted: string[] = [];
  for (const n of await store.list()) {
    if (n.isDefault || (await store.users(n.name)).length) continue;
    await store.remove(n.name);
    deleted.push(n.name);
  }
  return deleted;
}

/** Removes volumes no container uses: anonymous ones, or all with `all` (docker 23's rule). */
export async function pruneVolumes(e: Engine, opts: { all?: boolean; filters?: PruneFilters } = {}): Promise<{ deleted: string[]; bytes: number }> {
  const f = opts.filters ?? { labels: [] };
  const volumes = new VolumeStore(e.root);
  const containers: ContainerConfig[] = (await e.list()).map((c) => c.config);
  const deleted: string[] = [];
  let bytes = 0;
  for (const v of volumes.list()) {
    if ((!opts.all && !v.Anonymous) || volumeUsers(v.Name, containers).length || !matchesFilters(f, v.CreatedAt, v.Labels)) continue;
    const size = await volumes.size(v.Name);
    volumes.remove(v.Name, []);
    deleted.push(v.Name);
    bytes += size;
  }
  return { deleted, bytes };
}
