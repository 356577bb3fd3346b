// OCI image-spec and Docker schema2 document shapes, and their media types. Docker schema2 and OCI are
// structurally the same (descriptors, config, layers), so one set of types covers both.

export const MediaType = {
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_LAYER: 'application/vnd.oci.image.layer.v1.tar',
  OCI_LAYER_GZIP: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCI_LAYER_ZSTD: 'application/vnd.oci.image.layer.v1.tar+zstd',
  DOCKER_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_CONFIG: 'application/vnd.docker.container.image.v1+json',
  DOCKER_LAYER_GZIP: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Everything we ask a registry for when resolving a reference (the Accept header). */
export const MANIFEST_ACCEPT = [MediaType.OCI_INDEX, MediaType.OCI_MANIFEST, MediaType.DOCKER_LIST, MediaType.DOCKER_MANIFEST];

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OCI_INDEX || mt === MediaType.DOCKER_LIST;
}
export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OCI_MANIFEST || mt === MediaType.DOCKER_MANIFEST;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The `config` part of an image config: what the engine turns into a container's process. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** Reads the media type of a manifest-ish JSON document: the field, or guessed from its shape. */
export function documentMediaType(doc: { mediaType?: string; manifests?: unknown; config?: unknown }): string {
  if (doc.mediaType) return doc.mediaType;
  if (Array.isArray(doc.manifests)) return MediaType.OCI_INDEX;
  return MediaType.OCI_MANIFEST;
}
