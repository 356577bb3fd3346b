// The content-addressed image store: blobs and the image index. See store.ts for the guarantees.
export { ContentStore, DEFAULT_ROOT, GC_GRACE_MS, ensurePrivateDir, hashFile, sha256 } from './store.js';
export type { ImageRecord, BlobInfo, BlobSource } from './store.js';
