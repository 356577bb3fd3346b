// The names of whiteouts in OCI layer tars and of overlayfs' own markers. A module of their own so
// that code that only reads unpacked layers (copy.ts, on every container start) does not load the
// tar unpacker and tar-stream with them.
export const OPAQUE_MARKER = '.wh..wh..opq';
export const WHITEOUT_PREFIX = '.wh.';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
export const OVERLAY_WHITEOUT_XATTR = 'trusted.overlay.whiteout';
/** overlayfs reads its own metadata (redirect, metacopy, whiteout, opaque, origin…) from these
 *  xattrs. A layer states whiteouts and opaque directories with `.wh.` entries; the same names in a
 *  layer's PAX xattrs would let it forge what the overlay shows (a redirect to another lower path,
 *  a metacopy without data), so the unpacker drops them. `user.overlay.` is the userxattr form
 *  that a rootless overlay mount reads, `user.fuseoverlayfs.` fuse-overlayfs's. */
export const OVERLAY_XATTR_PREFIXES = ['trusted.overlay.', 'user.overlay.', 'user.fuseoverlayfs.'];
/** fuse-overlayfs (a rootless root with HAKO_MOUNT_PROGRAM) marks an opaque directory with this
 *  xattr (`user.fuseoverlayfs.` is its metadata, dropped from layers like overlayfs'), and puts a
 *  `.wh..wh..opq` file and a `.wh..opq` whiteout of its own in it: marks, not content. */
export const FUSE_OPAQUE_XATTR = 'user.fuseoverlayfs.opaque';
export const FUSE_OPAQUE_MARKERS = [OPAQUE_MARKER, '.wh..opq'];
