// seccomp: OCI `linux.seccomp` -> PROFILE text for hako-init's `seccomp` op (native/seccomp.c),
// Docker's default profile for the engine, and the compiled-filter cache.
export {
  compileSeccomp, seccompUsesNotify, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPS,
} from './compile.js';
export { defaultSeccompProfile, DOCKER_DEFAULT_CAPABILITIES } from './default-profile.js';
export type { DefaultProfileOptions } from './default-profile.js';
export { cachedSeccompFilter, blobMatches, BLOB_MAGIC, BLOB_HEADER_SIZE } from './cache.js';
export type { SeccompExporter } from './cache.js';
