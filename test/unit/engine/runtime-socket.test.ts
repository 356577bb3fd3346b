// The engine socket (src/engine/runtime-socket.ts): what conmon passes to its runtime, and the
// hello hako-init sends in the plan encoding. The socket itself is exercised by every engine
// integration test (all containers are created through it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateArgs } from '../../../src/engine/runtime-socket.js';
import { decodeOp, encodePlan } from '../../../src/native/encode.js';

test("conmon's create arguments, with and without a console socket", () => {
  assert.deepEqual(parseCreateArgs(['create', '--bundle', '/b', '--pid-file', '/p', 'c1']), {
    bundle: '/b',
    pidFile: '/p',
    consoleSocket: undefined,
    id: 'c1',
  });
  assert.deepEqual(parseCreateArgs(['create', '--bundle', '/b', '--pid-file', '/p', '--no-new-keyring', '--console-socket', '/s', 'c1']), {
    bundle: '/b',
    pidFile: '/p',
    consoleSocket: '/s',
    id: 'c1',
  });
  assert.throws(() => parseCreateArgs(['start', 'c1']), /expected a create/);
  assert.throws(() => parseCreateArgs(['create', 'c1']), /needs --bundle/);
});

test('decodeOp reads one operation of the plan encoding, and waits for the rest of a partial one', () => {
  const bytes = encodePlan([['shim', '42', 'create', '--bundle', '/b', 'caf\u00e9']]);
  assert.deepEqual(decodeOp(bytes), { op: ['shim', '42', 'create', '--bundle', '/b', 'caf\u00e9'], length: bytes.length });
  for (let n = 0; n < bytes.length; n++) assert.equal(decodeOp(bytes.subarray(0, n)), undefined, `prefix of ${n} bytes`);
});
