// The OCI runtime's public surface: what the engine and the library API may use. Everything else in
// src/runtime/ is its own business (the import check, .dependency-cruiser.cjs, holds the engine to
// this file).
export { Runtime } from './runtime.js';
export type { CreateOptions, ExecOptions, RunOptions, RuntimeOptions } from './runtime.js';
export { defaultRoot, ensureFallbackRoot, fallbackRoot } from './root.js';
export { ROOTFS_MOUNT_ANNOTATION, ROOTFS_MOUNTNS_ANNOTATION } from '../oci/names.js';
export type { CheckpointOptions, CriuCommonOptions, RestoreOptions } from './criu/options.js';
