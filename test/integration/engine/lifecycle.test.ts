// `rename`, `pause`/`unpause` and `restart` with real containers, checked from inside and from the
// host (/proc states of the container's processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const procState = (pid: number) => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

test('rename: the new name resolves, the old one is free again, a taken name is refused', { skip }, () => {
  const id = env.ok(['create', '--name', 'first', IMAGE, 'true']).trim();
  env.ok(['create', '--name', 'taken', IMAGE, 'true']);
  assert.equal(env.ok(['rename', 'first', 'second']), '');
  assert.equal(env.inspect('second').Id, id);
  assert.equal(JSON.parse(env.ok(['inspect', 'second']))[0].Name, '/second');
  assert.equal(env.hako(['inspect', '--type', 'container', 'first']).code, 1, 'the old name is gone');
  const r = env.hako(['rename', 'second', 'taken']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hako: the container name "\/taken" is already in use by container "[0-9a-f]{64}"/);
  assert.match(env.hako(['rename', 'second', 'bad/name']).stderr, /invalid container name "bad\/name"/);
  env.ok(['create', '--name', 'first', IMAGE, 'true']); // the old name can be reused
  env.ok(['rm', 'first', 'second', 'taken']);
});

test('pause freezes every process (ps, inspect say so), unpause thaws; a paused container stops', { skip }, async () => {
  env.ok(['run', '-d', '--name', 'ticker', '--network', 'none', IMAGE, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done']);
  const pid = env.inspect('ticker').State.Pid;
  assert.equal(env.ok(['pause', 'ticker']), 'ticker\n');
  assert.equal(procState(pid), 'D', 'frozen by the cgroup freezer');
  assert.match(env.ok(['ps']), /Up .* \(Paused\)\s+ticker/);
  assert.equal(env.ok(['inspect', '--format', '{{.State.Status}} {{.State.Paused}}', 'ticker']), 'paused true\n');
  assert.match(env.hako(['pause', 'ticker']).stderr, /already paused/);
  assert.match(env.hako(['exec', 'ticker', 'true']).stderr, /paused/);
  assert.equal(env.ok(['unpause', 'ticker']), 'ticker\n');
  assert.notEqual(procState(pid), 'D', 'thawed');
  const a = Number(env.ok(['exec', 'ticker', 'cat', '/tmp/n']));
  await env.until('the counter to move on', () => Number(env.ok(['exec', 'ticker', 'cat', '/tmp/n'])) > a, 10_000);
  assert.match(env.hako(['unpause', 'ticker']).stderr, /is not paused/);
  env.ok(['pause', 'ticker']);
  env.ok(['stop', '-t', '1', 'ticker']);
  assert.equal(env.inspect('ticker').State.Status, 'exited', 'stop thaws first');
  assert.match(env.hako(['pause', 'ticker']).stderr, /is not running/);
  env.ok(['rm', 'ticker']);
});

test('restart: a new process, the restart shows in StartedAt; a stopped container starts', { skip }, async () => {
  env.ok(['run', '-d', '--name', 'again', '--network', 'none', IMAGE, 'sleep', '1000']);
  const before = JSON.parse(env.ok(['inspect', 'again']))[0].State;
  await sleep(1100);
  assert.equal(env.ok(['restart', '-t', '1', 'again']), 'again\n');
  const after = JSON.parse(env.ok(['inspect', 'again']))[0].State;
  assert.equal(after.Status, 'running');
  assert.notEqual(after.Pid, before.Pid);
  assert.ok(Date.parse(after.StartedAt) > Date.parse(before.StartedAt));
  env.ok(['stop', '-t', '0', 'again']);
  env.ok(['restart', 'again']);
  assert.equal(env.inspect('again').State.Status, 'running');
  assert.equal(env.hako(['restart', '-t', 'soon', 'again']).code, 125);
  env.ok(['rm', '-f', 'again']);
});

test('restart --signal: the stop half sends it (the exit code says which signal arrived)', { skip }, () => {
  const script = "trap 'exit 12' USR2; trap 'exit 7' TERM; while :; do sleep 0.1; done";
  env.ok(['run', '-d', '--name', 'signalled', '--network', 'none', IMAGE, 'sh', '-c', script]);
  const firstPid = env.inspect('signalled').State.Pid;
  assert.equal(env.ok(['restart', '--signal', 'SIGUSR2', '-t', '20', 'signalled']), 'signalled\n');
  const events = env.ok([
    'events',
    '--since',
    '0',
    '--until',
    '0s',
    '--filter',
    'container=signalled',
    '--filter',
    'event=die',
    '--format',
    '{{.Actor.Attributes.exitCode}}',
  ]);
  assert.equal(events, '12\n', 'the first run died of SIGUSR2');
  const st = env.inspect('signalled').State;
  assert.equal(st.Status, 'running');
  assert.notEqual(st.Pid, firstPid);
  assert.equal(env.hako(['restart', '-s', 'SIGNOPE', 'signalled']).code, 1);
  env.ok(['rm', '-f', 'signalled']);
});
