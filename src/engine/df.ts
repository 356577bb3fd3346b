// `hako system df`: the space images, containers and volumes take, and what a prune would free.
import type { Engine } from './engine.js';
import { containerSize } from './prune.js';
import { VolumeStore, volumeUsers } from './volumes.js';
import type { ImageManifest } from '../oci/image/types.js';

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
