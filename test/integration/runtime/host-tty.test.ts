// A container never gets the caller's terminal as its controlling terminal. Without a terminal of
// its own (process.terminal false) it would otherwise stay in the caller's session, and container
// root could type commands into the user's shell with TIOCSTI, or take the terminal's signals. The
// container process starts a new session, as runc's does (setsid in op_fork's child,
// native/process.c); the terminal's Ctrl-C then reaches only hako's own processes, and the
// foreground monitor passes it on to the container, exactly once. Each case runs the CLI as the
// foreground job of a real pty (test/fixtures/pty.ts), and, where runc is installed, runc too.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, HAKO } from './harness.js';
import { ptyUnavailable, runOnPty, type PtyResult } from '../../fixtures/pty.js';
import type { Spec } from '../../../src/oci/types.js';

const h = new Harness();
after(() => h.cleanup());

const noPty = ptyUnavailable();
const RUNC = '/usr/sbin/runc';
const noRunc = fs.existsSync(RUNC) ? undefined : `${RUNC} is not installed (nothing to compare with)`;
const runcRoot = fs.mkdtempSync(path.join(h.root, '.runc-'));

/** Prints the shell's own session id and tty_nr (fields 6 and 7 of /proc/self/stat; the `read`
 *  builtin reads the file as the shell itself). A session whose leader is outside the container's
 *  PID namespace reads as 0. */
const STAT = 'read -r _ _ _ _ _ sid tty _ < /proc/self/stat; echo "STAT $$ $sid $tty"';

/** Counts SIGINTs: READY once the trap is set, then waits for one, then a while for a second.
 *  The shell runs a trap only between commands, and two signals before that count as one, so it
 *  waits busy (builtins only) through the moments a second copy would follow the first. */
const COUNT_INT =
  'n=0; trap \'n=$((n+1))\' INT; echo READY; while [ "$n" -lt 1 ]; do :; done; ' +
  'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 1; echo "COUNT $n"; exit 7';

function stat(r: PtyResult): { pid: number; sid: number; tty: number } {
  const m = /STAT (\d+) (\d+) (\d+)/.exec(r.output);
  assert.ok(m, `no STAT line in: ${JSON.stringify(r.output)}`);
  return { pid: Number(m[1]), sid: Number(m[2]), tty: Number(m[3]) };
}

function hakoRun(bundle: string): string[] {
  return [HAKO, 'runtime', '--root', h.root, 'run', '--bundle', bundle, h.id()];
}

function runcRun(bundle: string): string[] {
  return [RUNC, '--root', runcRoot, 'run', '--bundle', bundle, h.id('runc')];
}

/** `runc run -d` on the pty: the one mode in which runc hands the caller's stdio itself to the
 *  container (in the foreground it copies through pipes of its own), as hako's run -d does.
 *  The pty shows the container's output until its last holder of the pty exits. */
function runcDetachedOnPty(bundle: string): PtyResult {
  const id = h.id('runc');
  try {
    return runOnPty([RUNC, '--root', runcRoot, 'run', '-d', '--bundle', bundle, id]);
  } finally {
    spawnSync(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
  }
}

/** `hako runtime run -d` on the pty: the caller's stdio is handed through (as runc's -d). */
function hakoDetachedOnPty(bundle: string): PtyResult {
  const id = h.id();
  try {
    return runOnPty([HAKO, 'runtime', '--root', h.root, 'run', '-d', '--bundle', bundle, id]);
  } finally {
    h.hako(['delete', '--force', id]);
  }
}

/** Runs CMD from a shell on the pty that reports the pty's owner and mode before and after it,
 *  and CMD's status: what the container did to the caller's terminal, seen from the host. */
function onTheCallersPty(cmd: string[]): string[] {
  const report = (when: string) => `stat -L -c "${when} %u %a" /proc/self/fd/0`;
  return ['sh', '-c', `${report('BEFORE')}; "$@"; echo "EXIT $?"; ${report('AFTER')}`, 'sh', ...cmd];
}

function assertPtyUnchanged(r: PtyResult): void {
  const before = /BEFORE (\d+ \d+)/.exec(r.output)?.[1];
  const after = /AFTER (\d+ \d+)/.exec(r.output)?.[1];
  assert.ok(before, r.output);
  assert.equal(after, before, `the caller's pty changed owner or mode: ${r.output}`);
}

/** A busybox bundle that also sees the host's /usr read-only, so the host's python3 runs in it. */
function pythonBundle(args: string[]): string {
  const bundle = h.bundle(args, (s: Spec) => {
    s.mounts!.push({ destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro'] });
  });
  for (const lib of ['lib', 'lib64']) {
    if (fs.existsSync(`/${lib}`)) fs.symlinkSync(`usr/${lib}`, path.join(bundle, 'rootfs', lib));
  }
  return bundle;
}

/** Tries TIOCSTI on fd 0 (the caller's pty) and reports the outcome. */
const TIOCSTI = [
  '/usr/bin/python3',
  '-c',
  'import fcntl, termios, errno\n' +
    'try:\n    fcntl.ioctl(0, termios.TIOCSTI, b"#"); print("TIOCSTI ok")\n' +
    'except OSError as e:\n    print("TIOCSTI " + errno.errorcode[e.errno])',
];

function legacyTiocsti(): boolean {
  try {
    return fs.readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() === '1';
  } catch {
    return true; // kernels before 6.2: TIOCSTI on one's controlling terminal always works
  }
}

describe("the caller's terminal is not the container's controlling terminal", { skip: noPty }, () => {
  it('run (terminal false): the container is the leader of its own session, without a controlling tty', () => {
    const r = runOnPty(hakoRun(h.bundle(['sh', '-c', STAT])));
    assert.equal(r.status, 0, r.output);
    assert.deepEqual(stat(r), { pid: 1, sid: 1, tty: 0 });
  });

  it('runc does the same', { skip: noRunc }, () => {
    const r = runOnPty(runcRun(h.bundle(['sh', '-c', STAT])));
    assert.equal(r.status, 0, r.output);
    assert.deepEqual(stat(r), { pid: 1, sid: 1, tty: 0 });
  });

  it("exec (terminal false): the exec'd process leads a new session too", () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100000']), id]).status, 0);
    try {
      const r = runOnPty([HAKO, 'runtime', '--root', h.root, 'exec', id, 'sh', '-c', STAT]);
      assert.equal(r.status, 0, r.output);
      const s = stat(r);
      assert.notEqual(s.pid, 1);
      assert.deepEqual(s, { pid: s.pid, sid: s.pid, tty: 0 });
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });

  it("run with a terminal: the container's own pty is its controlling terminal", () => {
    const r = runOnPty(
      hakoRun(
        h.bundle(['sh', '-c', STAT], (s) => {
          s.process!.terminal = true;
        }),
      ),
    );
    assert.equal(r.status, 0, r.output);
    const s = stat(r);
    assert.equal(s.sid, 1);
    assert.notEqual(s.tty, 0);
    assert.match(r.output, /STAT/);
  });

  it("TIOCSTI through fd 0 fails: the container has a pipe, not the caller's pty", () => {
    const r = runOnPty(hakoRun(pythonBundle(TIOCSTI)));
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /TIOCSTI ENOTTY/);
    if (!noRunc) {
      const runc = runOnPty(runcRun(pythonBundle(TIOCSTI))).output;
      assert.match(runc, /TIOCSTI ENOTTY/, `runc run (foreground) copies through pipes too: ${runc}`);
    }
  });

  it('TIOCSTI on a pty handed over as stdio (run -d) fails without CAP_SYS_ADMIN', {
    skip: !legacyTiocsti() ? 'dev.tty.legacy_tiocsti is 0: TIOCSTI fails for everyone, so this would prove nothing' : undefined,
  }, () => {
    const r = hakoDetachedOnPty(pythonBundle(TIOCSTI));
    // Not our controlling terminal, and no CAP_SYS_ADMIN: EPERM.
    assert.match(r.output, /TIOCSTI EPERM/);
    if (!noRunc) {
      const runc = runcDetachedOnPty(pythonBundle(TIOCSTI)).output;
      assert.match(runc, /TIOCSTI EPERM/, `runc: ${runc}`);
    }
  });

  it("run (terminal false): the caller's pty is copied through pipes; container root cannot chown or chmod it", () => {
    const script =
      'for fd in 0 1 2; do [ -p /proc/self/fd/$fd ] && echo "PIPE $fd"; done; ' +
      'chown 1234 /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; chmod 666 /proc/self/fd/0 /proc/self/fd/1; ' +
      'echo READY; read line; echo "GOT $line"; cat; echo "EOF seen" >&2; exit 3';
    const r = runOnPty(onTheCallersPty(hakoRun(h.bundle(['sh', '-c', script]))), [
      { waitFor: 'READY', send: 'hello\n' },
      { waitFor: 'GOT hello', send: '\x04' },
    ]);
    assert.equal(r.timedOut, false, r.output);
    assert.match(r.output, /PIPE 0\b[\s\S]*PIPE 1\b[\s\S]*PIPE 2\b/, 'fds 0-2 are pipes inside');
    assert.match(r.output, /GOT hello/, 'what is typed reaches the container');
    assert.match(r.output, /EOF seen/, "Ctrl-D closes the container's stdin");
    assert.match(r.output, /EXIT 3\b/, "the container's status");
    assertPtyUnchanged(r);
  });

  it('run (terminal false): everything written just before exit reaches the pty', () => {
    const r = runOnPty(hakoRun(h.bundle(['sh', '-c', 'seq 1 50000; echo DONE >&2; exit 4'])));
    assert.equal(r.status, 4, r.output.slice(-200));
    assert.match(r.output, /\n49999\r?\n50000\r?\n/, r.output.slice(-200));
    assert.match(r.output, /DONE/, r.output.slice(-200));
  });

  it('run (terminal false): typing after the container closed its stdin sends it no SIGPIPE', () => {
    // Without a PID namespace: an init would ignore a SIGPIPE it has no handler for anyway.
    const r = runOnPty(
      hakoRun(
        h.bundle(['sh', '-c', 'exec 0<&-; echo READY; sleep 1; echo ALIVE'], (s) => {
          s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
        }),
      ),
      [{ waitFor: 'READY', send: 'typed\n' }],
    );
    assert.equal(r.timedOut, false, r.output);
    assert.match(r.output, /ALIVE/, r.output);
    assert.equal(r.status, 0, r.output);
  });

  it("the pty the caller gave as stdio to run -d is the container's to use, as runc leaves it (chmod through /proc/self/fd/0)", () => {
    // runc hands the caller's stdio through when it does not copy (run -d, create), a pty too (it
    // replaces only /dev/null): the caller chose to give it. Its owner (root, as the container's
    // root is without a user namespace) may chmod it; hako matches runc.
    const script = 'stat -L -c "TYPE %t" /proc/self/fd/0; chmod 620 /proc/self/fd/0 && echo CHMOD ok || echo CHMOD failed';
    const r = hakoDetachedOnPty(h.bundle(['sh', '-c', script]));
    assert.match(r.output, /TYPE 88\b/, 'fd 0 is the pty (devpts, major 136)');
    const ours = /CHMOD (\w+)/.exec(r.output)?.[1];
    assert.equal(ours, 'ok', r.output);
    if (!noRunc) {
      const runc = runcDetachedOnPty(h.bundle(['sh', '-c', script])).output;
      assert.match(runc, /TYPE 88\b/, `runc: ${runc}`);
      assert.equal(/CHMOD (\w+)/.exec(runc)?.[1], ours, `as runc: ${runc}`);
    }
  });
});

describe("signals from the caller's terminal (Ctrl-C, Ctrl-Z, hangup)", { skip: noPty }, () => {
  it('run (terminal false): the container gets SIGINT exactly once', () => {
    const r = runOnPty(hakoRun(h.bundle(['sh', '-c', COUNT_INT])), [{ waitFor: 'READY', send: '\x03' }]);
    assert.equal(r.timedOut, false, r.output);
    assert.match(r.output, /COUNT 1\b/, JSON.stringify(r));
    assert.equal(r.status, 7, r.output);
  });

  it('runc does the same', { skip: noRunc }, () => {
    const r = runOnPty(runcRun(h.bundle(['sh', '-c', COUNT_INT])), [{ waitFor: 'READY', send: '\x03' }]);
    assert.match(r.output, /COUNT 1\b/, JSON.stringify(r));
    assert.equal(r.status, 7, r.output);
  });

  it('a container that does not catch it is ended by it: 130', () => {
    // `sleep` as PID 1 would ignore SIGINT (an init without a handler); the shell waits for it.
    const r = runOnPty(
      hakoRun(
        h.bundle(['sh', '-c', 'echo READY; exec sleep 100'], (s) => {
          s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
        }),
      ),
      [{ waitFor: 'READY', send: '\x03', delay: 0.3 }],
    );
    assert.equal(r.timedOut, false, r.output);
    assert.equal(r.status, 130, r.output);
  });

  it("exec (terminal false): the exec'd process gets SIGINT exactly once", () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100000']), id]).status, 0);
    try {
      const r = runOnPty([HAKO, 'runtime', '--root', h.root, 'exec', id, 'sh', '-c', COUNT_INT], [{ waitFor: 'READY', send: '\x03' }]);
      assert.equal(r.timedOut, false, r.output);
      assert.match(r.output, /COUNT 1\b/, JSON.stringify(r));
      assert.equal(r.status, 7, r.output);
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });

  it('Ctrl-Z: hako stops (the shell gets the terminal back), the container gets SIGTSTP once; fg resumes', () => {
    const script = COUNT_INT.replace('INT;', 'TSTP;');
    const r = runOnPty(hakoRun(h.bundle(['sh', '-c', script])), [{ waitFor: 'READY', send: '\x1a' }]);
    assert.equal(r.timedOut, false, r.output);
    assert.match(r.output, /\[stopped\]/, 'the CLI stopped, as a foreground job does');
    assert.match(r.output, /COUNT 1\b/, JSON.stringify(r));
    assert.equal(r.status, 7, r.output);
  });

  it('the terminal hung up (its shell gone): the container gets SIGHUP', async () => {
    // The count goes to a file in the rootfs. The kernel sends SIGHUP to `hako` and its monitor
    // alike, and both pass it on: the two copies may merge in the monitor, so neither may be
    // dropped, and the container may count two (as it did while it shared the terminal's session).
    const script = COUNT_INT.replace('INT;', 'HUP;').replace('echo "COUNT $n"', 'echo "HUP $n" > /report');
    const bundle = h.bundle(['sh', '-c', script], (s) => {
      s.root!.readonly = false;
    });
    const report = path.join(bundle, 'rootfs', 'report');
    const r = runOnPty(hakoRun(bundle), [{ waitFor: 'READY', hangup: true }]);
    assert.equal(r.timedOut, false, r.output);
    const end = Date.now() + 10_000;
    while (!fs.existsSync(report) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    assert.match(fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : 'no report', /^HUP [12]\n$/);
  });

  it('run with a terminal: Ctrl-C reaches the container through its own pty, once', () => {
    const r = runOnPty(
      hakoRun(
        h.bundle(['sh', '-c', COUNT_INT], (s) => {
          s.process!.terminal = true;
        }),
      ),
      [{ waitFor: 'READY', send: '\x03' }],
    );
    assert.equal(r.timedOut, false, r.output);
    assert.match(r.output, /COUNT 1\b/, JSON.stringify(r));
    assert.equal(r.status, 7, r.output);
  });
});
