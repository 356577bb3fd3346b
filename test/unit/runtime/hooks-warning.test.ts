// Hooks run as awaited child processes; a failing poststart/poststop hook is reported through the
// caller's warn callback (Runtime's onWarning), in the words the CLI prints, never on stderr here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHooks, runHooksWarning } from '../../../src/runtime/hooks.js';
import type { State } from '../../../src/oci/types.js';

const state: State = { ociVersion: '1.2.0', id: 'c1', status: 'running', pid: 1, bundle: '/b' };

test("a failing warning hook goes to warn with the CLI's wording; the others still run", async () => {
  const warnings: string[] = [];
  await runHooksWarning(
    'poststop',
    [{ path: '/bin/false' }, { path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null; exit 3'] }, { path: '/bin/true' }],
    state,
    (m) => warnings.push(m),
  );
  assert.deepEqual(warnings, ['warning: poststop hook /bin/false: exited with status 1', 'warning: poststop hook /bin/sh: exited with status 3']);
});

test('a hook gets the state on stdin; a timeout and a missing hook are failures', async () => {
  await runHooks('prestart', [{ path: '/bin/sh', args: ['sh', '-c', 'grep -q \'"id":"c1"\''] }], state);
  await assert.rejects(
    runHooks('prestart', [{ path: '/bin/sleep', args: ['sleep', '5'], timeout: 1 }], state),
    /^HakoError: prestart hook \/bin\/sleep: timed out after 1 s$/,
  );
  await assert.rejects(runHooks('createRuntime', [{ path: '/no/such/hook' }], state), /^HakoError: createRuntime hook \/no\/such\/hook: .*ENOENT/);
});
