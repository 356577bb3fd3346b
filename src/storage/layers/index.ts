// Layer handling: unpacking OCI layer tars (gzip/zstd/plain) safely into directories, for use as
// overlayfs lower layers ('overlay' mode) or applied onto a rootfs copy ('flatten' mode).
export { unpackLayer } from './unpack.js';
export { OPAQUE_MARKER, WHITEOUT_PREFIX, OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_XATTR } from './names.js';
export type { UnpackOptions, UnpackResult, IdMap } from './unpack.js';
export { compressionFromMediaType, sniffCompression } from './compression.js';
export type { Compression } from './compression.js';
export { splitMemberName } from './paths.js';
export { LayerWorker, removeTree } from './worker.js';
export { copyLayerOnto } from './copy.js';
