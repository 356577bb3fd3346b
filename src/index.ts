// The library API: an engine or server embedding hako creates containers without paying Node's
// start-up per container.
export { Runtime } from './runtime/runtime.js';
export type { CreateOptions, ExecOptions, RunOptions } from './runtime/runtime.js';
export { defaultSpec } from './runtime/spec/default.js';
export { validateSpec } from './runtime/spec/validate.js';
export type { Spec, State, Process, Resources } from './runtime/spec/types.js';
export { HakoError, ConfigError } from './util/errors.js';
