// `hako system df`: the space images, containers and volumes take, and what a prune would free.
import type { Engine } from './engine.js';
import { containerSize } from './prune.js';
import { VolumeStore, volumeUsers } from './volumes.js';
import type { ImageManifest } from '../oci/image/types.js';
import type { ContainerConfig, ContainerState } from './types.js';

export interface DfRow {
  Type: 'Images' | 'Containers' | 'Local Volumes';
  TotalCount: number;
  Active: number;
  /** Bytes. */
  Size: number;
  Reclaimable: number;
}

/** The blobs an image's platform manifest names (config and layers), with the manifest itself. */
function imageBlobs(e: Engine, manifest: string): string[] {
  try {
    const m = e.images.readJSON<ImageManifest>(manifest);
    return [manifest, m.config.digest, ...m.layers.map((l) => l.digest)];
  } catch {
    return [manifest];
  }
}

async function imagesRow(e: Engine): Promise<DfRow> {
  const byId = new Map<string, { blobs: string[]; active: boolean }>();
  const used = await e.imagesInUse();
  for (const rec of e.images.listImages()) {
    const prev = byId.get(rec.config);
    const active = [rec.digest, rec.manifest, rec.config].some((d) => used.has(d));
    byId.set(rec.config, { blobs: [...(prev?.blobs ?? []), ...imageBlobs(e, rec.manifest)], active: Boolean(prev?.active) || active });
  }
  const size = (blobs: Iterable<string>) => [...new Set(blobs)].reduce((n, d) => n + (e.images.blobSize(d) ?? 0), 0);
  const all = [...byId.values()];
  const activeBlobs = new Set(all.filter((i) => i.active).flatMap((i) => i.blobs));
  const total = size(all.flatMap((i) => i.blobs));
  return { Type: 'Images', TotalCount: byId.size, Active: all.filter((i) => i.active).length, Size: total, Reclaimable: total - size(activeBlobs) };
}

async function containersRow(e: Engine): Promise<DfRow> {
  const row: DfRow = { Type: 'Containers', TotalCount: 0, Active: 0, Size: 0, Reclaimable: 0 };
  for (const { config, state } of await e.list()) {
    const size = await containerSize(e, config.id);
    const running = state.status === 'running' || state.status === 'restarting';
    row.TotalCount++;
    row.Size += size;
    if (running) row.Active++;
    else row.Reclaimable += size;
  }
  return row;
}

async function volumesRow(e: Engine): Promise<DfRow> {
  const volumes = new VolumeStore(e.root);
  const containers = (await e.list()).map((c) => c.config);
  const row: DfRow = { Type: 'Local Volumes', TotalCount: 0, Active: 0, Size: 0, Reclaimable: 0 };
  for (const v of volumes.list()) {
    const size = await volumes.size(v.Name);
    row.TotalCount++;
    row.Size += size;
    if (volumeUsers(v.Name, containers).length) row.Active++;
    else row.Reclaimable += size;
  }
  return row;
}

export async function systemDf(e: Engine): Promise<DfRow[]> {
  return [await imagesRow(e), await containersRow(e), await volumesRow(e)];
}

/** One image of `system df -v`: docker's REPOSITORY, TAG, IMAGE ID, CREATED, SIZE, SHARED SIZE
 *  (its blobs that another image has too), UNIQUE SIZE and CONTAINERS (using it), sizes in bytes. */
export interface DfImage {
  reference: string;
  id: string;
  created?: string;
  size: number;
  shared: number;
  containers: number;
}

export async function dfImages(e: Engine): Promise<DfImage[]> {
  const records = e.images.listImages();
  const blobsOf = new Map(records.map((r) => [r.config, new Set(imageBlobs(e, r.manifest))]));
  const holders = new Map<string, Set<string>>(); // blob -> image IDs having it
  for (const [id, blobs] of blobsOf) for (const b of blobs) holders.set(b, (holders.get(b) ?? new Set()).add(id));
  const users = new Map<string, number>();
  for (const { config } of await e.list()) users.set(config.imageId, (users.get(config.imageId) ?? 0) + 1);
  return records.map((r) => {
    let size = 0;
    let shared = 0;
    for (const b of blobsOf.get(r.config) ?? []) {
      const n = e.images.blobSize(b) ?? 0;
      size += n;
      if ((holders.get(b)?.size ?? 0) > 1) shared += n;
    }
    let created: string | undefined;
    try {
      created = e.images.readJSON<{ created?: string }>(r.config).created;
    } catch {
      /* config missing */
    }
    return { reference: r.reference, id: r.config, created, size, shared, containers: users.get(r.config) ?? 0 };
  });
}

/** One container of `system df -v` (its writable layer's size in bytes). */
export async function dfContainers(e: Engine): Promise<{ config: ContainerConfig; state: ContainerState; size: number }[]> {
  const out = [];
  for (const c of await e.list()) out.push({ ...c, size: await containerSize(e, c.config.id) });
  return out;
}

/** One volume of `system df -v`: LINKS is the number of containers that mount it. */
export async function dfVolumes(e: Engine): Promise<{ name: string; links: number; size: number }[]> {
  const volumes = new VolumeStore(e.root);
  const containers = (await e.list()).map((c) => c.config);
  const out = [];
  for (const v of volumes.list()) out.push({ name: v.Name, links: volumeUsers(v.Name, containers).length, size: await volumes.size(v.Name) });
  return out;
}
