// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// Detached containers: run -d, logs (-f, --tail, -t), top, stop, wait, rm; nothing left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('run -d, logs -f until exit, stop, rm', { skip }, async () => {
  const id = env.ok(['run', '-d', '--name', 'talker', IMAGE, 'sh', '-c', 'echo one; echo two >&2; sleep 1; echo three']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const logs = env.hako(['logs', '-f', 'talker']);
  assert.equal(logs.code, 0);
  assert.equal(logs.stdout, 'one\nthree\n');
  assert.equal(logs.stderr, 'two\n');
  assert.equal(env.inspect('talker').State.Status, 'exited');
  assert.equal(env.ok(['logs', '--tail', '1', 'talker']), 'three\n');
  // docker's RFC 3339 with nanoseconds, in UTC written Z (conmon writes +00:00).
  assert.match(env.ok(['logs', '-t', 'talker']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);

  const sleeper = env.ok(['run', '-d', IMAGE, 'sh', '-c', "trap 'exit 7' TERM; while :; do sleep 0.1; done"]).trim();
  assert.equal(env.inspect(sleeper).State.Status, 'running');
  assert.ok(env.ok(['top', sleeper.slice(0, 12)]).includes('while'), 'top lists the container process');
  env.ok(['stop', '-t', '20', sleeper.slice(0, 12)]);
  const st = env.inspect(sleeper).State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.ExitCode, 7, 'SIGTERM reached the trap');
  assert.equal(env.ok(['wait', sleeper]), '7\n');
  env.ok(['rm', 'talker', sleeper]);
  assert.equal(env.ok(['ps', '-aq']), '');
});

test('a removed container leaves no process behind', { skip }, async () => {
  const id = env.ok(['run', '-d', IMAGE, 'sleep', '1000']).trim();
  const pid = env.inspect(id).State.Pid;
  assert.ok(pid > 0 && fs.existsSync(`/proc/${pid}`));
  assert.equal(env.hako(['rm', id]).code, 1, 'rm without -f refuses a running container');
  env.ok(['rm', '-f', id]);
  const gone = (() => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
    } catch {
      return true;
    }
  })();
  assert.ok(gone, 'the container process is gone');
  assert.deepEqual(
    env.processesUsingRoot().filter((p) => p.includes(id)),
    [],
  );
});

test('top CONTAINER [ps OPTIONS]: ps run with them, only the container lines kept', { skip }, () => {
  env.ok(['run', '-d', '--name', 'topped', '--network', 'none', IMAGE, 'sh', '-c', 'sleep 1001 & sleep 1002']);
  try {
    const out = env.ok(['top', 'topped', '-o', 'pid,args']).trimEnd().split('\n');
    assert.match(out[0]!, /^\s*PID\s+COMMAND$/);
    const cmds = out.slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' '));
    assert.ok(cmds.includes('sleep 1001') && cmds.includes('sleep 1002'), out.join('\n'));
    assert.ok(!cmds.some((c) => c.includes('node')), 'no host process');
    assert.match(env.ok(['top', 'topped', 'aux']).split('\n')[0]!, /USER\s+PID\s+%CPU/);
    const noPid = env.hako(['top', 'topped', '-o', 'comm']);
    assert.equal(noPid.code, 1);
    assert.match(noPid.stderr, /Couldn't find PID field in ps output/);
    assert.match(env.ok(['top', 'topped']).split('\n')[0]!, /^UID\s+PID\s+PPID\s+STAT\s+TIME\s+CMD$/);
  } finally {
    env.ok(['rm', '-f', 'topped']);
  }
});

test('stop -s/--signal: the named signal instead of the stop signal; a bad name fails first', { skip }, () => {
  // The trap answers SIGUSR1 with 11, SIGTERM (the default) with 7: the exit code says which arrived.
  const script = "trap 'exit 11' USR1; trap 'exit 7' TERM; while :; do sleep 0.1; done";
  const id = env.ok(['run', '-d', '--network', 'none', IMAGE, 'sh', '-c', script]).trim();
  const bad = env.hako(['stop', '--signal', 'SIGNOPE', id]);
  assert.equal(bad.code, 1, "docker's daemon refuses it: 1");
  assert.equal(bad.stderr, 'hako: unknown signal "SIGNOPE"\n');
  assert.equal(env.inspect(id).State.Status, 'running', 'nothing was signalled');
  assert.equal(env.ok(['stop', '-s', 'USR1', '-t', '20', id]), `${id}\n`);
  assert.equal(env.inspect(id).State.ExitCode, 11);
  env.ok(['rm', id]);
});
