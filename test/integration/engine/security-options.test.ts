// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// --read-only, --cap-drop, --security-opt and docker's default capabilities and seccomp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('--read-only and --cap-drop ALL are visible inside', { skip }, () => {
  const r = env.hako([
    'run',
    '--rm',
    '--read-only',
    '--cap-drop',
    'ALL',
    IMAGE,
    'sh',
    '-c',
    'grep -E "^Cap(Eff|Bnd)" /proc/self/status; touch /x 2>&1; echo rc=$?',
  ]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /CapEff:\s+0000000000000000\n/);
  assert.match(r.stdout, /CapBnd:\s+0000000000000000\n/);
  assert.match(r.stdout, /Read-only file system\nrc=1\n$/);
  const d = env.ok(['run', '--rm', IMAGE, 'sh', '-c', 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status']);
  assert.match(d, /CapBnd:\s+00000000a80425fb\n/, "docker's default capability set");
  assert.match(d, /NoNewPrivs:\s+0\n/);
  assert.match(d, /Seccomp:\s+2\n/, 'the default seccomp profile is on');
  assert.match(env.ok(['run', '--rm', '--security-opt', 'no-new-privileges', IMAGE, 'grep', 'NoNewPrivs', '/proc/self/status']), /NoNewPrivs:\s+1/);
  assert.match(env.ok(['run', '--rm', '--security-opt', 'seccomp=unconfined', IMAGE, 'grep', '^Seccomp:', '/proc/self/status']), /Seccomp:\s+0/);
});
