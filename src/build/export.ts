// The end of a build: the final stage's config (with its history) and an OCI manifest stored as
// blobs, and the image tagged with each -t.
import type { ContentStore } from '../storage/store/index.js';
import type { LayerInfo } from '../image/inspect.js';
import { MediaType, type ImageConfig, type ImageManifest } from '../oci/image/types.js';
import type { Progress } from './progress.js';

export interface ExportedImage {
  /** The image ID (config digest). */
  id: string;
  manifest: string;
  references: string[];
}

export async function exportImage(store: ContentStore, progress: Progress, tags: string[], layers: LayerInfo[], image: ImageConfig): Promise<ExportedImage> {
  const step = progress.step('exporting to image');
  const history = image.history ?? [];
  // The last step's time, not now: a build from cache gives the same config, so the same ID.
  image.created = history.length ? history[history.length - 1]!.created : new Date().toISOString();
  const config = await store.putBlob(Buffer.from(JSON.stringify(image)));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const m = await store.putBlob(Buffer.from(JSON.stringify(manifest)));
  step.note(`writing image ${config.digest} done`);
  // docker keeps an untagged build as <none>; the store indexes references, so it gets one.
  const names = tags.length ? tags : [`hako.local/build:${config.digest.slice(7, 19)}`];
  const references = names.map((t) => store.tag(t, m.digest).reference);
  for (const r of references) step.note(`naming to ${r} done`);
  step.done();
  return { id: config.digest, manifest: m.digest, references };
}
