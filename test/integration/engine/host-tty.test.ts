// The engine's containers never have the caller's terminal as their controlling terminal, whether
// the terminal is passed as stdin (`run -i`, `exec -i`), only watched (`run`, `exec`: output is
// copied to it) or replaced by a pty of the container's own (`-t`). Ctrl-C typed at the terminal
// reaches the container exactly once in each case. Each case runs `hako` as the foreground job of a
// real pty (test/fixtures/pty.ts). The runtime's part, and runc's behaviour to compare:
// test/integration/runtime/host-tty.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';
import { ptyUnavailable, runOnPty, type PtyResult } from '../../fixtures/pty.js';

const skip = engineSkip || (ptyUnavailable() ?? false);
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

/** The shell's pid, session id and tty_nr (fields 6 and 7 of /proc/self/stat, read by the shell
 *  itself). A session whose leader is outside the container's PID namespace reads as 0. */
const STAT = 'read -r _ _ _ _ _ sid tty _ < /proc/self/stat; echo "STAT $$ $sid $tty"';

/** Counts SIGINTs: READY once the trap is set, then waits for one, then a while for a second.
 *  The shell runs a trap only between commands, and two signals before that count as one, so it
 *  waits busy (builtins only) through the moments a second copy would follow the first. */
const COUNT_INT =
  'n=0; trap \'n=$((n+1))\' INT; echo READY; while [ "$n" -lt 1 ]; do :; done; ' +
  'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 1; echo "COUNT $n"; exit 7';

function hako(args: string[]): string[] {
  return [HAKO, '--root', env.root, ...args];
}

function stat(r: PtyResult): { pid: number; sid: number; tty: number } {
  const m = /STAT (\d+) (\d+) (\d+)/.exec(r.output);
  assert.ok(m, `no STAT line in: ${JSON.stringify(r)}`);
  return { pid: Number(m[1]), sid: Number(m[2]), tty: Number(m[3]) };
}

function interruptedOnce(r: PtyResult): void {
  assert.equal(r.timedOut, false, r.output);
  assert.match(r.output, /COUNT 1\b/, JSON.stringify(r));
  assert.equal(r.status, 7, r.output);
}

const CTRL_C = [{ waitFor: 'READY', send: '\x03' }];

for (const flags of [['-i'], []]) {
  const name = `run ${flags.join(' ') || '(neither -i nor -t)'}`;

  test(`${name}: the container leads its own session, without a controlling tty`, { skip }, () => {
    const r = runOnPty(hako(['run', '--rm', ...flags, IMAGE, 'sh', '-c', STAT]));
    assert.equal(r.status, 0, r.output);
    assert.deepEqual(stat(r), { pid: 1, sid: 1, tty: 0 });
  });

  test(`${name}: Ctrl-C reaches the container exactly once`, { skip }, () => {
    interruptedOnce(runOnPty(hako(['run', '--rm', ...flags, IMAGE, 'sh', '-c', COUNT_INT]), CTRL_C));
  });
}

test("run -it: the container's own pty is its controlling terminal, and Ctrl-C comes through it once", { skip }, () => {
  const r = runOnPty(hako(['run', '--rm', '-it', IMAGE, 'sh', '-c', STAT]));
  assert.equal(r.status, 0, r.output);
  const s = stat(r);
  assert.equal(s.sid, 1);
  assert.notEqual(s.tty, 0);
  interruptedOnce(runOnPty(hako(['run', '--rm', '-it', IMAGE, 'sh', '-c', COUNT_INT]), CTRL_C));
});

for (const flags of [['-i'], []]) {
  const name = `exec ${flags.join(' ') || '(neither -i nor -t)'}`;

  test(`${name}: the exec'd process leads a new session without a controlling tty, and Ctrl-C reaches it once`, { skip }, () => {
    const id = env.ok(['run', '-d', IMAGE, 'sleep', '100000']).trim();
    try {
      const r = runOnPty(hako(['exec', ...flags, id, 'sh', '-c', STAT]));
      assert.equal(r.status, 0, r.output);
      const s = stat(r);
      assert.notEqual(s.pid, 1);
      assert.deepEqual(s, { pid: s.pid, sid: s.pid, tty: 0 });
      interruptedOnce(runOnPty(hako(['exec', ...flags, id, 'sh', '-c', COUNT_INT]), CTRL_C));
    } finally {
      env.hako(['rm', '-f', id]);
    }
  });
}

// Without -t, the caller's terminal is never the container's stdio: the foreground monitor gives
// the container a pipe for each of fds 0-2 that is a tty and copies (native/process.c, the stdio
// pipes), as docker (FIFOs) and a foreground `runc run` do. Container root, with docker's default
// CAP_CHOWN, then chowns a pipe, not the user's terminal, and has no fd for TIOCSTI. The shell on
// the pty reports the terminal's owner and mode before and after `hako`.
const onTheCallersPty = (cmd: string[]): string[] => [
  'sh',
  '-c',
  'stat -L -c "BEFORE %u %a" /proc/self/fd/0; "$@"; echo "EXIT $?"; stat -L -c "AFTER %u %a" /proc/self/fd/0',
  'sh',
  ...cmd,
];

const ATTACK =
  'for fd in 0 1 2; do [ -p /proc/self/fd/$fd ] && echo "PIPE $fd"; done; ' +
  'chown 1234 /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; chmod 666 /proc/self/fd/0 /proc/self/fd/1; ' +
  'echo READY; read line; echo "GOT $line"';

function assertTerminalUntouched(r: PtyResult): void {
  assert.equal(r.timedOut, false, r.output);
  assert.match(r.output, /PIPE 0\b[\s\S]*PIPE 1\b[\s\S]*PIPE 2\b/, `fds 0-2 are pipes inside: ${r.output}`);
  assert.match(r.output, /GOT hello/, `what is typed reaches the container: ${r.output}`);
  assert.match(r.output, /EXIT 0\b/, r.output);
  const before = /BEFORE (\d+ \d+)/.exec(r.output)?.[1];
  assert.ok(before, r.output);
  assert.equal(/AFTER (\d+ \d+)/.exec(r.output)?.[1], before, `the caller's terminal changed: ${r.output}`);
}

const TYPE_HELLO = [{ waitFor: 'READY', send: 'hello\n' }];

test("run -i: container root cannot chown the caller's terminal", { skip }, () => {
  assertTerminalUntouched(runOnPty(onTheCallersPty(hako(['run', '--rm', '-i', IMAGE, 'sh', '-c', ATTACK])), TYPE_HELLO));
});

test("exec -i: container root cannot chown the caller's terminal", { skip }, () => {
  const id = env.ok(['run', '-d', IMAGE, 'sleep', '100000']).trim();
  try {
    assertTerminalUntouched(runOnPty(onTheCallersPty(hako(['exec', '-i', id, 'sh', '-c', ATTACK])), TYPE_HELLO));
  } finally {
    env.hako(['rm', '-f', id]);
  }
});
