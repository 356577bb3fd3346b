// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// `hako run` in the foreground: output, signals, exit status, bad flags, --init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('run --rm prints the output and leaves no container', { skip }, () => {
  const r = env.hako(['run', '--rm', IMAGE, 'echo', 'hi']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
  assert.equal(env.ok(['ps', '-aq']), '');
});

test('the container starts with no signal ignored or blocked (conmon ignores SIGPIPE): yes | head ends', { skip }, () => {
  const r = env.hako(['run', '--rm', IMAGE, 'sh', '-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status; yes | head -c 5 | wc -c'], { timeout: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n5\n');
});

test('output a slow reader takes in is complete when hako exits (stdout is an asynchronous pipe)', { skip }, () => {
  const id = env.ok(['run', '-d', IMAGE, 'sh', '-c', 'yes 0123456789abcdef | head -c 300000']).trim();
  assert.ok(env.hako(['wait', id]).code === 0);
  // The reader starts late: hako has long written all it could into the 64 KiB pipe by then.
  const r = spawnSync('sh', ['-c', `"$0" --root "$1" logs "$2" | (sleep 0.3; wc -c)`, HAKO, env.root, id], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '300000');
  env.ok(['rm', id]);
});

test('the exit status passes through; ps -a shows it', { skip }, () => {
  const r = env.hako(['run', '--name', 'three', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const rows = env
    .ok(['ps', '-a', '--format', 'json'])
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const row = rows.find((x) => x.Names === 'three');
  assert.ok(row, 'ps -a lists the exited container');
  assert.equal(row.State, 'exited');
  assert.match(row.Status, /^Exited \(3\) /);
  assert.equal(env.ok(['ps', '--format', '{{.Names}}']).includes('three'), false, 'ps without -a shows running ones only');
  assert.match(env.ok(['ps', '-a']), /Exited \(3\)/);
  env.ok(['rm', 'three']);
});

test('unknown flags and unknown networks fail with one line and create nothing', { skip }, () => {
  const bad = env.hako(['run', '--no-such-flag', IMAGE, 'true']);
  assert.equal(bad.code, 125, 'a bad flag: the engine failed (docker: 125)');
  assert.equal(bad.stderr, 'hako: run: unknown flag: --no-such-flag\n');
  const net = env.hako(['run', '--network', 'no-such-net', IMAGE, 'true']);
  assert.equal(net.code, 125);
  assert.equal(net.stderr, 'hako: --network no-such-net: network not found (see hako network ls)\n');
  const img = env.hako(['run', '--rm', 'hako.local/nothing:here', 'true']);
  assert.notEqual(img.code, 0);
  assert.equal(env.ok(['ps', '-aq']), '');
});

test('--init runs catatonit as pid 1 when installed', { skip: skip || (!fs.existsSync('/usr/bin/catatonit') && 'needs /usr/bin/catatonit') }, () => {
  const out = env.ok(['run', '--rm', '--init', IMAGE, 'cat', '/proc/1/cmdline']);
  assert.equal(out.split('\0')[0], '/run/hako-init');
});
