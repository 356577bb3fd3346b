// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// `hako exec` into a running container: env, user, workdir, stdin, exit status, PID namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('exec into a detached container: env, user, workdir, exit status', { skip }, async () => {
  const id = env.ok(['run', '-d', '--name', 'box', IMAGE, 'sleep', '1000']).trim();
  assert.equal(env.ok(['exec', 'box', 'hostname']), `${id.slice(0, 12)}\n`);
  assert.equal(env.ok(['exec', '-e', 'X=42', 'box', 'sh', '-c', 'echo $X']), '42\n');
  assert.equal(env.ok(['exec', '-u', 'nobody', 'box', 'id', '-u']), '65534\n');
  assert.equal(env.ok(['exec', '-w', '/tmp', 'box', 'pwd']), '/tmp\n');
  assert.equal(env.ok(['exec', '-i', 'box', 'cat'], { input: 'piped\n' }), 'piped\n');
  assert.equal(env.hako(['exec', 'box', 'sh', '-c', 'exit 4']).code, 4);
  // The exec'd process is in the container's PID namespace: sleep is pid 1 there.
  assert.match(env.ok(['exec', 'box', 'cat', '/proc/1/cmdline']), /^sleep\x001000\x00$/);
  env.ok(['rm', '-f', 'box']);
});

test('exec --env-file reads variables from files; -e wins', { skip }, () => {
  const file = `${env.root}/exec.env`;
  fs.writeFileSync(file, '# a comment\nA=from-file\nB=file\n\n');
  env.ok(['run', '-d', '--name', 'envbox', '--network', 'none', IMAGE, 'sleep', '1000']);
  try {
    assert.equal(env.ok(['exec', '--env-file', file, '-e', 'B=flag', 'envbox', 'sh', '-c', 'echo $A $B']), 'from-file flag\n');
    const missing = env.hako(['exec', '--env-file', `${env.root}/nope.env`, 'envbox', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--env-file .*nope\.env: no such file/);
  } finally {
    env.ok(['rm', '-f', 'envbox']);
  }
});
