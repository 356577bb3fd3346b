// What the engine needs to know about a stored image: the manifest, the process defaults from the
// config (Env, Cmd, Entrypoint, ...), and the layers in order with their diffIDs.
import { HakoError } from '../util/errors.js';
import type { ContentStore } from '../storage/store/index.js';
import type { ContainerConfig, ImageConfig, ImageManifest } from '../oci/image/types.js';
import { checkImageConfig, checkManifest } from './validate.js';

export interface LayerInfo {
  /** Digest of the (possibly compressed) blob in the store. */
  digest: string;
  mediaType: string;
  size: number;
  /** sha256 of the uncompressed tar (config rootfs.diff_ids). */
  diffID: string;
}

export interface ImageInspect {
  reference: string;
  /** The image ID: the config digest. */
  id: string;
  /** Top-level digest (index or manifest): the repo digest. */
  digest: string;
  /** The platform manifest in use. */
  manifestDigest: string;
  manifest: ImageManifest;
  /** The full image config document. */
  image: ImageConfig;
  /** The process defaults, with every field present (empty when the image sets none). */
  config: Required<Pick<ContainerConfig, 'Env' | 'Cmd' | 'Entrypoint' | 'WorkingDir' | 'User' | 'ExposedPorts' | 'Volumes' | 'Labels'>> & {
    StopSignal?: string;
  };
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  size: number;
  layers: LayerInfo[];
}

export function inspect(store: ContentStore, ref: string): ImageInspect {
  const rec = store.resolve(ref);
  if (!rec) throw new HakoError(`image "${ref}" not found`);
  // Checked again here, not only at pull or load: a store may hold images from before the checks.
  const manifest = checkManifest(`manifest ${rec.manifest}`, store.readJSON(rec.manifest));
  const image = checkImageConfig(`image config ${rec.config}`, store.readJSON(rec.config));
  const diffIds = image.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length)
    throw new HakoError(`image ${rec.reference}: config has ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
  const c = image.config ?? {};
  return {
    reference: rec.reference,
    id: rec.config,
    digest: rec.digest,
    manifestDigest: rec.manifest,
    manifest,
    image,
    config: {
      Env: c.Env ?? [],
      Cmd: c.Cmd ?? [],
      Entrypoint: c.Entrypoint ?? [],
      WorkingDir: c.WorkingDir ?? '',
      User: c.User ?? '',
      ExposedPorts: c.ExposedPorts ?? {},
      Volumes: c.Volumes ?? {},
      Labels: c.Labels ?? {},
      ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    },
    architecture: image.architecture,
    os: image.os,
    ...(image.variant ? { variant: image.variant } : {}),
    ...(image.created ? { created: image.created } : {}),
    size: rec.size,
    layers: manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffID: diffIds[i] })),
  };
}
