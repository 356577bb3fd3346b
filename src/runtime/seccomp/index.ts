// seccomp: OCI `linux.seccomp` -> PROFILE text for hako-init's `seccomp` op (native/seccomp.c), and
// the compiled-filter cache. Docker's default profile is an engine default (engine/docker-defaults.ts).
export {
  compileSeccomp,
  seccompUsesNotify,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAGS,
  SECCOMP_OPS,
} from './compile.js';
export { cachedSeccompFilter, blobMatches, BLOB_MAGIC, BLOB_HEADER_SIZE } from './cache.js';
export type { SeccompExporter } from './cache.js';
