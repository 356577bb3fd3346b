// `hako push`: uploads a stored image (its manifest list / index too, with every platform manifest
// that is in the store) to a registry: blobs first (monolithic POST+PUT, skipped when present), then
// platform manifests by digest, then the top-level document under the tag.
import { HakoError } from '../util/errors.js';
import type { ContentStore } from '../storage/store/index.js';
import { parseReference, type ImageReference } from '../oci/image/reference.js';
import { RegistryClient } from './registry/client.js';
import { runLimited } from './pull.js';
import { documentMediaType, isIndexMediaType, type ImageIndex, type ImageManifest } from '../oci/image/types.js';

export interface PushOptions {
  store: ContentStore;
  client?: RegistryClient;
  /** Where to push; default: the image's own reference. */
  destination?: string | ImageReference;
  onProgress?: (e: { type: 'blob'; digest: string; result: 'exists' | 'uploaded' } | { type: 'manifest'; digest: string }) => void;
}

/** Pushes `source` (a reference or ID in the store); returns the digest of the pushed top document. */
export async function push(source: string, opts: PushOptions): Promise<string> {
  const { store } = opts;
  const rec = store.resolve(source);
  if (!rec) throw new HakoError(`image "${source}" not found`);
  const dest = opts.destination ? (typeof opts.destination === 'string' ? parseReference(opts.destination) : opts.destination) : parseReference(rec.reference);
  const client = opts.client ?? new RegistryClient();

  const pushManifest = async (digest: string, tag: string): Promise<void> => {
    const body = store.readBlob(digest);
    const doc = JSON.parse(body.toString('utf8')) as ImageManifest & ImageIndex;
    const mediaType = documentMediaType(doc);
    if (isIndexMediaType(mediaType)) {
      for (const m of doc.manifests) {
        if (!store.hasBlob(m.digest)) throw new HakoError(`push ${dest}: platform manifest ${m.digest} of index ${digest} is not in the store`);
        await pushManifest(m.digest, m.digest);
      }
    } else {
      const blobs = [doc.config, ...doc.layers];
      await runLimited(blobs, 3, async (d) => {
        if (!store.hasBlob(d.digest)) throw new HakoError(`push ${dest}: blob ${d.digest} is not in the store`);
        const result = await client.pushBlob(dest, d.digest, store.blobSize(d.digest)!, () => store.openBlob(d.digest));
        opts.onProgress?.({ type: 'blob', digest: d.digest, result });
      });
    }
    await client.putManifest(dest, tag, mediaType, body);
    opts.onProgress?.({ type: 'manifest', digest });
  };
  await pushManifest(rec.digest, dest.tag ?? dest.digest ?? rec.digest);
  return rec.digest;
}
