// `hako events`: what real commands did, past (--since/--until) and followed live, with filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const actions = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(1, 3).join(' '));

test("a container's life as events, followed live and read back with filters", { skip }, async () => {
  const follower = spawn(HAKO, ['--root', env.root, 'events', '--filter', 'type=container'], { env: { ...process.env, HAKO_ROOT: undefined } });
  let live = '';
  follower.stdout.on('data', (d) => (live += d));
  const closed = new Promise((r) => follower.on('close', r));
  try {
    await body();
  } finally {
    follower.kill('SIGKILL');
    await closed;
  }
  async function body(): Promise<void> {
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(env.hako(['run', '--name', 'e1', '--network', 'none', IMAGE, 'sh', '-c', 'exit 3']).code, 3);
    env.ok(['run', '-d', '--name', 'e2', '--network', 'none', IMAGE, 'sleep', '1000']);
    env.ok(['pause', 'e2']);
    env.ok(['unpause', 'e2']);
    env.ok(['rename', 'e2', 'e3']);
    env.ok(['rm', '-f', 'e1', 'e3']);
    env.ok(['volume', 'create', 'ev']);
    await env.until('the follower to see the last container event', () => /container destroy .*name=e3/.test(live), 10_000);
    follower.kill('SIGINT');
    assert.equal(await closed, 0, 'ends cleanly on Ctrl-C');
    assert.deepEqual(actions(live), [
      'container create',
      'container start',
      'container die',
      'container create',
      'container start',
      'container pause',
      'container unpause',
      'container rename',
      'container destroy',
      'container kill',
      'container die',
      'container destroy',
    ]);
    assert.match(live, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container create /);
    assert.match(live, /container die [0-9a-f]{64} \(exitCode=3, image=hako\.local\/busybox:latest, name=e1\)/);
    assert.match(live, /container rename [0-9a-f]{64} \(image=hako\.local\/busybox:latest, name=e3, oldName=\/e2\)/);
    const past = env.ok(['events', '--since', '5m', '--until', '0s', '--filter', 'event=die', '--filter', 'event=create']);
    assert.deepEqual(actions(past), ['container create', 'container die', 'container create', 'container die', 'volume create']);
    assert.equal(
      env.ok(['events', '--since', '5m', '--until', '0s', '--filter', 'container=e1', '--filter', 'event=die']).split('\n').filter(Boolean).length,
      1,
    );
    const vol = JSON.parse(env.ok(['events', '--since', '5m', '--until', '0s', '--filter', 'type=volume', '--format', 'json']).trim());
    assert.equal(vol.Action, 'create');
    assert.equal(vol.Actor.ID, 'ev');
    const r = env.hako(['events', '--filter', 'colour=red']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid filter "colour=red"/);
    env.ok(['volume', 'rm', 'ev']);
  }
});

test('network create, connect, disconnect and rm are events, the network the actor', { skip }, () => {
  env.ok(['network', 'create', 'evnet']);
  env.ok(['create', '--name', 'evc', IMAGE, 'true']);
  try {
    env.ok(['network', 'connect', 'evnet', 'evc']);
    env.ok(['network', 'disconnect', 'evnet', 'evc']);
  } finally {
    env.ok(['rm', 'evc']);
    env.ok(['network', 'rm', 'evnet']);
  }
  const lines = env
    .ok(['events', '--since', '5m', '--until', '0s', '--filter', 'type=network', '--format', 'json'])
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((e) => e.Action),
    ['create', 'connect', 'disconnect', 'destroy'],
  );
  assert.ok(lines.every((e) => /^[0-9a-f]{64}$/.test(e.Actor.ID) && e.Actor.ID === lines[0].Actor.ID && e.Actor.Attributes.name === 'evnet'));
  assert.match(lines[1].Actor.Attributes.container, /^[0-9a-f]{64}$/);
});
