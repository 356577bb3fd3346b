// Hooks that run in the runtime's namespaces (prestart, createRuntime, poststart, poststop).
// The container-namespace ones (createContainer, startContainer) run inside hako-init as `hook` ops.
import { spawnSync } from 'node:child_process';
import { HakoError } from '../util/errors.js';
import type { Hook, State } from '../oci/types.js';
import { trace } from '../util/trace.js';
import { writeErr } from '../util/stdio.js';

/** prestart, createRuntime: the first failing hook stops the others and fails the operation. */
export function runHooks(kind: string, hooks: Hook[] | undefined, state: State): void {
  for (const hook of hooks ?? []) {
    const failure = runHook(hook, state);
    if (failure) throw new HakoError(`${kind} hook ${hook.path}: ${failure}`);
  }
}

/** poststart, poststop: the runtime spec's Lifecycle says a failing one is logged as a warning,
 *  "but the remaining hooks and lifecycle continue as if the hook had succeeded". */
export function runHooksWarning(kind: string, hooks: Hook[] | undefined, state: State): void {
  for (const hook of hooks ?? []) {
    const failure = runHook(hook, state);
    if (failure) writeErr(`hako: warning: ${kind} hook ${hook.path}: ${failure}\n`);
  }
}

/** Runs one hook with the state on its stdin; why it failed, or undefined. */
function runHook(hook: Hook, state: State): string | undefined {
  const [argv0, ...rest] = hook.args ?? [hook.path];
  trace(`hook ${hook.path} ${JSON.stringify(rest)} (state ${state.status})`);
  const r = spawnSync(hook.path, rest, {
    argv0,
    env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    input: JSON.stringify(state),
    stdio: ['pipe', 'inherit', 'inherit'],
    timeout: hook.timeout ? hook.timeout * 1000 : undefined,
  });
  // A hook need not read the state: if it exits first, our write gets EPIPE. Its status decides.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') {
    const timedOut = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    return timedOut ? `timed out after ${hook.timeout} s` : r.error.message;
  }
  if (r.status !== 0) return r.signal ? `killed by ${r.signal}` : `exited with status ${r.status}`;
  return undefined;
}
