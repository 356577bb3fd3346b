// `hako push`: uploads a stored image (its manifest list / index too, with every platform manifest
// that is in the store) to a registry: blobs first (skipped when present, mounted from another
// repository of the same registry that the store knows holds them, else uploaded in one PUT or in
// PATCH chunks), then platform manifests by digest, then the top-level document under the tag.
import fs from 'node:fs';
import { HakoError } from '../util/errors.js';
import type { ContentStore } from '../storage/store/index.js';
import { parseReference, type ImageReference } from '../oci/image/reference.js';
import { RegistryClient } from './registry/client.js';
import { runLimited } from './pull.js';
import { documentMediaType, isIndexMediaType, type ImageIndex, type ImageManifest } from '../oci/image/types.js';

export type PushEvent =
  | { type: 'blob-start'; digest: string; kind: 'config' | 'layer' }
  | { type: 'blob'; digest: string; kind: 'config' | 'layer'; result: 'exists' | 'uploaded' | 'mounted'; from?: string }
  | { type: 'manifest'; digest: string; size: number; top: boolean; tag: string };

export interface PushOptions {
  store: ContentStore;
  client?: RegistryClient;
  /** Where to push; default: the image's own reference. */
  destination?: string | ImageReference;
  /** Blobs larger than this are sent in PATCH chunks of this size (default: one PUT per blob). */
  chunkSize?: number;
  onProgress?: (e: PushEvent) => void;
}

/** Repositories of `dest`'s registry, other than `dest`'s, that images in the store come from or were
 *  tagged for, with the blobs their manifests name: where a cross-repository mount may find a blob. */
export function mountSources(store: ContentStore, dest: ImageReference): Map<string, string[]> {
  const byBlob = new Map<string, string[]>();
  for (const rec of store.listImages()) {
    let r: ImageReference;
    try {
      r = parseReference(rec.reference);
    } catch {
      continue;
    }
    if (r.domain !== dest.domain || r.path === dest.path || !store.hasBlob(rec.manifest)) continue;
    const m = store.readJSON<ImageManifest>(rec.manifest);
    for (const d of [m.config, ...(m.layers ?? [])]) {
      if (!d?.digest) continue;
      const repos = byBlob.get(d.digest) ?? [];
      if (!repos.includes(r.path)) repos.push(r.path);
      byBlob.set(d.digest, repos);
    }
  }
  return byBlob;
}

/** Pushes `source` (a reference or ID in the store); returns the digest of the pushed top document. */
export async function push(source: string, opts: PushOptions): Promise<string> {
  const { store } = opts;
  const rec = store.resolve(source);
  if (!rec) throw new HakoError(`image "${source}" not found`);
  const dest = opts.destination ? (typeof opts.destination === 'string' ? parseReference(opts.destination) : opts.destination) : parseReference(rec.reference);
  const client = opts.client ?? new RegistryClient();
  const mounts = mountSources(store, dest);

  const pushBlobs = async (doc: ImageManifest): Promise<void> => {
    const blobs = [{ d: doc.config, kind: 'config' as const }, ...doc.layers.map((d) => ({ d, kind: 'layer' as const }))];
    for (const b of blobs) opts.onProgress?.({ type: 'blob-start', digest: b.d.digest, kind: b.kind });
    await runLimited(blobs, 3, async ({ d, kind }) => {
      if (!store.hasBlob(d.digest)) throw new HakoError(`push ${dest}: blob ${d.digest} is not in the store`);
      const open = (range?: { start: number; end: number }) => (range ? fs.createReadStream(store.blobPath(d.digest), range) : store.openBlob(d.digest));
      const r = await client.pushBlob(dest, d.digest, store.blobSize(d.digest)!, open, { mountFrom: mounts.get(d.digest), chunkSize: opts.chunkSize });
      opts.onProgress?.({ type: 'blob', digest: d.digest, kind, ...r });
    });
  };

  const pushManifest = async (digest: string, tag: string, top: boolean): Promise<void> => {
    const body = store.readBlob(digest);
    const doc = JSON.parse(body.toString('utf8')) as ImageManifest & ImageIndex;
    const mediaType = documentMediaType(doc);
    if (isIndexMediaType(mediaType)) {
      for (const m of doc.manifests) {
        if (!store.hasBlob(m.digest)) throw new HakoError(`push ${dest}: platform manifest ${m.digest} of index ${digest} is not in the store`);
        await pushManifest(m.digest, m.digest, false);
      }
    } else {
      await pushBlobs(doc);
    }
    await client.putManifest(dest, tag, mediaType, body);
    opts.onProgress?.({ type: 'manifest', digest, size: body.length, top, tag });
  };
  await pushManifest(rec.digest, dest.tag ?? dest.digest ?? rec.digest, true);
  return rec.digest;
}

/** docker's push output, one line per change (as docker prints without a terminal):
 *  `The push refers to repository [host/name]`, `<id>: Preparing`, `<id>: Pushed` /
 *  `Layer already exists` / `Mounted from <repo>`, `<tag>: digest: sha256:… size: N`. */
export function pushPrinter(write: (line: string) => void, dest: ImageReference): (e: PushEvent) => void {
  write(`The push refers to repository [${dest.name}]`);
  const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);
  return (e) => {
    if (e.type === 'blob-start' && e.kind === 'layer') write(`${short(e.digest)}: Preparing`);
    if (e.type === 'blob' && e.kind === 'layer') {
      write(`${short(e.digest)}: ${e.result === 'exists' ? 'Layer already exists' : e.result === 'mounted' ? `Mounted from ${e.from}` : 'Pushed'}`);
    }
    if (e.type === 'manifest' && e.top) write(`${e.tag}: digest: ${e.digest} size: ${e.size}`);
  };
}
