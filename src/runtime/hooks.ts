// Hooks that run in the runtime's namespaces (prestart, createRuntime, poststart, poststop).
// The container-namespace ones (createContainer, startContainer) run inside hako-init as `hook` ops.
// They run as child processes awaited asynchronously: a slow hook does not stall a server that
// embeds the runtime.
import { spawn } from 'node:child_process';
import { HakoError } from '../util/errors.js';
import type { Hook, State } from '../oci/types.js';
import { trace } from '../util/trace.js';

/** prestart, createRuntime: the first failing hook stops the others and fails the operation. */
export async function runHooks(kind: string, hooks: Hook[] | undefined, state: State): Promise<void> {
  for (const hook of hooks ?? []) {
    const failure = await runHook(hook, state);
    if (failure) throw new HakoError(`${kind} hook ${hook.path}: ${failure}`);
  }
}

/** poststart, poststop: the runtime spec's Lifecycle says a failing one is logged as a warning,
 *  "but the remaining hooks and lifecycle continue as if the hook had succeeded". `warn` gets the
 *  text the CLI prints after `hako: `. */
export async function runHooksWarning(kind: string, hooks: Hook[] | undefined, state: State, warn: (message: string) => void): Promise<void> {
  for (const hook of hooks ?? []) {
    const failure = await runHook(hook, state);
    if (failure) warn(`warning: ${kind} hook ${hook.path}: ${failure}`);
  }
}

/** Runs one hook with the state on its stdin; why it failed, or undefined. */
function runHook(hook: Hook, state: State): Promise<string | undefined> {
  const [argv0, ...rest] = hook.args ?? [hook.path];
  trace(`hook ${hook.path} ${JSON.stringify(rest)} (state ${state.status})`);
  return new Promise((resolve) => {
    const child = spawn(hook.path, rest, {
      argv0,
      env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    let timedOut = false;
    const timer = hook.timeout
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, hook.timeout * 1000)
      : undefined;
    // A hook need not read the state: if it exits first, our write gets EPIPE. Its status decides.
    child.stdin!.on('error', () => {});
    child.stdin!.end(JSON.stringify(state));
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve(`timed out after ${hook.timeout} s`);
      else if (code !== 0) resolve(signal ? `killed by ${signal}` : `exited with status ${code}`);
      else resolve(undefined);
    });
  });
}
