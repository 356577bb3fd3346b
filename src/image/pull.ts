// `hako pull`: resolve a reference on its registry, download config and layers into the content store
// (three at a time, resuming partial downloads, each verified against its digest), store the manifest
// documents and only then tag. A failed pull therefore never changes the image index; verified blobs
// may stay (they are valid content, and gc() removes them if nothing references them).
import { HakoError } from '../util/errors.js';
import type { ContentStore, ImageRecord } from '../storage/store/index.js';
import { parseReference, type ImageReference } from '../oci/image/reference.js';
import { selectPlatform, hostPlatform, formatPlatform } from '../oci/image/platform.js';
import { RegistryClient } from './registry/client.js';
import { checkImageConfig, checkIndex, checkManifest, parseDocument } from './validate.js';
import { isIndexMediaType, isManifestMediaType, type Descriptor, type Platform } from '../oci/image/types.js';

export type PullEvent =
  | { type: 'resolved'; reference: string; digest: string; mediaType: string; manifest: string }
  | { type: 'blob-start'; digest: string; size: number; kind: 'config' | 'layer' }
  | { type: 'blob-progress'; digest: string; current: number; total: number }
  | { type: 'blob-done'; digest: string; size: number; cached: boolean }
  | { type: 'done'; reference: string; digest: string };

export interface PullOptions {
  store: ContentStore;
  client?: RegistryClient;
  onProgress?: (e: PullEvent) => void;
  /** Platform to select from a manifest list; default: this machine. */
  platform?: Platform;
  /** Parallel blob downloads (default 3, like docker). */
  concurrency?: number;
}

/** Runs `tasks` with at most `limit` in flight. After the first failure no new task starts; the
 *  running ones finish (so their temp files are either committed or cleaned up) and the first
 *  error is thrown. */
export async function runLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
}

/** Downloads one blob into the store unless it is there already. */
async function fetchBlob(ref: ImageReference, d: Descriptor, kind: 'config' | 'layer', o: PullOptions & { client: RegistryClient }): Promise<void> {
  const { store, client, onProgress } = o;
  onProgress?.({ type: 'blob-start', digest: d.digest, size: d.size, kind });
  if (store.hasBlob(d.digest)) {
    store.touchBlob(d.digest);
    onProgress?.({ type: 'blob-done', digest: d.digest, size: d.size, cached: true });
    return;
  }
  await store.writeResumable(d.digest, (offset) => client.fetchBlob(ref, d.digest, offset), {
    expectedSize: d.size,
    onProgress: (current) => onProgress?.({ type: 'blob-progress', digest: d.digest, current, total: d.size }),
  });
  onProgress?.({ type: 'blob-done', digest: d.digest, size: d.size, cached: false });
}

export async function pull(reference: string | ImageReference, opts: PullOptions): Promise<ImageRecord> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const client = opts.client ?? new RegistryClient();
  const o = { ...opts, client };
  const top = await client.getManifest(ref);
  let manifestDoc = top;
  if (isIndexMediaType(top.mediaType)) {
    const doc = `index ${top.digest}`;
    const index = checkIndex(doc, parseDocument(doc, top.body.toString('utf8')));
    const want = opts.platform ?? hostPlatform();
    const entry = selectPlatform(index.manifests, want, ref.toString());
    manifestDoc = await client.getManifest(ref, entry.digest);
    if (!isManifestMediaType(manifestDoc.mediaType))
      throw new HakoError(`${ref}: entry for ${formatPlatform(want)} is a ${manifestDoc.mediaType}, not an image manifest`);
  }
  const mdoc = `manifest ${manifestDoc.digest}`;
  const manifest = checkManifest(mdoc, parseDocument(mdoc, manifestDoc.body.toString('utf8')));
  opts.onProgress?.({ type: 'resolved', reference: ref.toString(), digest: top.digest, mediaType: top.mediaType, manifest: manifestDoc.digest });

  const seen = new Set<string>();
  const jobs: { d: Descriptor; kind: 'config' | 'layer' }[] = [];
  for (const [d, kind] of [[manifest.config, 'config'], ...manifest.layers.map((l) => [l, 'layer'])] as [Descriptor, 'config' | 'layer'][]) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    jobs.push({ d, kind });
  }
  await runLimited(jobs, opts.concurrency ?? 3, (j) => fetchBlob(ref, j.d, j.kind, o));

  const config = checkImageConfig(`image config ${manifest.config.digest}`, opts.store.readJSON(manifest.config.digest));
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length) {
    throw new HakoError(`image config ${manifest.config.digest}: rootfs.diff_ids has ${diffIds?.length ?? 0} entries for ${manifest.layers.length} layers`);
  }
  await opts.store.putBlob(manifestDoc.body, manifestDoc.digest);
  if (top !== manifestDoc) await opts.store.putBlob(top.body, top.digest);
  // By digest only: record it as name@digest; with a tag (also name:tag@digest): under that string.
  const rec = opts.store.tag(ref, top.digest, { manifest: manifestDoc.digest });
  opts.onProgress?.({ type: 'done', reference: rec.reference, digest: top.digest });
  return rec;
}
