// The library API: an engine or server embedding hako creates containers without paying Node's
// start-up per container.
export { Runtime } from './runtime/index.js';
export type { CreateOptions, ExecOptions, RunOptions } from './runtime/index.js';
export { defaultSpec } from './oci/default.js';
export { validateSpec } from './oci/validate.js';
export type { Spec, State, Process, Resources } from './oci/types.js';
export { HakoError, ConfigError } from './util/errors.js';
