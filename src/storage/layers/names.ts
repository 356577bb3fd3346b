// The names of whiteouts in OCI layer tars and of overlayfs' own markers. A module of their own so
// that code that only reads unpacked layers (copy.ts, on every container start) does not load the
// tar unpacker and tar-stream with them.
export const OPAQUE_MARKER = '.wh..wh..opq';
export const WHITEOUT_PREFIX = '.wh.';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
export const OVERLAY_WHITEOUT_XATTR = 'trusted.overlay.whiteout';
