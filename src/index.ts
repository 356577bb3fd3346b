// The library API: an engine or server embedding hako creates containers without paying Node's
// start-up per container. Asynchronous wherever it waits; warnings go to RuntimeOptions.onWarning.
export { Runtime } from './runtime/index.js';
export type { CreateOptions, ExecOptions, RunOptions, RuntimeOptions } from './runtime/index.js';
export { defaultSpec } from './oci/default.js';
export { validateSpec } from './oci/validate.js';
export type { Spec, State, Process, Resources } from './oci/types.js';
export { HakoError, ConfigError } from './util/errors.js';
