// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// -v/--mount/--tmpfs: bind mounts, named volumes and tmpfs seen from inside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('bind mounts and named volumes keep data across containers', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-bind-'));
  try {
    env.ok(['run', '--rm', '-v', `${dir}:/host`, IMAGE, 'sh', '-c', 'echo from-container > /host/f']);
    assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'from-container\n');
    assert.notEqual(env.hako(['run', '--rm', '-v', `${dir}:/host:ro`, IMAGE, 'sh', '-c', 'echo x > /host/g']).code, 0, 'ro bind is read-only');
    env.ok(['run', '--rm', '-v', 'keep:/data', IMAGE, 'sh', '-c', 'echo persisted > /data/v']);
    assert.equal(env.ok(['run', '--rm', '--mount', 'type=volume,source=keep,target=/other', IMAGE, 'cat', '/other/v']), 'persisted\n');
    assert.equal(env.ok(['run', '--rm', '--tmpfs', '/scratch', IMAGE, 'sh', '-c', 'grep " /scratch " /proc/mounts | cut -d" " -f3']), 'tmpfs\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(env.root, 'volumes', 'keep'), { recursive: true, force: true });
  }
});
