// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// Restart policies, and a container's state after its monitor is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('--restart on-failure:2 restarts twice, then stays exited with the code', { skip }, async () => {
  const id = env.ok(['run', '-d', '--restart', 'on-failure:2', IMAGE, 'sh', '-c', 'echo run; exit 5']).trim();
  await env.until('two restarts and a final exit', () => {
    const s = env.inspect(id);
    return s.RestartCount === 2 && s.State.Status === 'exited';
  });
  // The last exit command must decide not to restart: wait until no monitor of this container is left.
  await env.until('the monitor to finish', () => env.processesUsingRoot().every((p) => !p.includes(id)));
  const s = env.inspect(id);
  assert.equal(s.State.Status, 'exited');
  assert.equal(s.State.ExitCode, 5);
  assert.equal(s.RestartCount, 2);
  assert.equal(env.ok(['logs', id]), 'run\nrun\nrun\n');
  env.ok(['rm', id]);
});

test('state survives a lost monitor: the container shows exited and starts again', { skip }, async () => {
  const id = env.ok(['run', '-d', '--name', 'phoenix', IMAGE, 'sh', '-c', 'echo started; exec sleep 1000']).trim();
  const pid = env.inspect(id).State.Pid;
  // Simulate a host crash: the container and its conmon die without any bookkeeping.
  const conmon = Number(fs.readFileSync(path.join(env.root, 'containers', id, 'conmon.pid'), 'utf8'));
  process.kill(conmon, 'SIGKILL');
  process.kill(pid, 'SIGKILL');
  await env.until('the container to show as exited', () => env.inspect(id).State.Status === 'exited');
  env.ok(['start', 'phoenix']);
  assert.equal(env.inspect(id).State.Status, 'running');
  await env.until('the second start to log', () => env.ok(['logs', id]) === 'started\nstarted\n');
  env.ok(['stop', '-t', '0', 'phoenix']);
  assert.equal(env.inspect(id).State.Status, 'exited');
  env.ok(['rm', 'phoenix']);
});
