// `exec --preserve-fds N` (and run's and create's) as runc: the caller's fds 3..3+N-1 reach the process as the same numbers,
// and nothing else does (not the caller's fd 3+N, not the runtime's plan pipe, sync socket or
// sockets). The caller hands the fds to bin/hako through spawn's stdio array, as a shell's `3<file`.
// Each check runs with runc too, in the same test, against a runc container of the same bundle.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HAKO, Harness, NO_RUNC, RUNC, waitFor } from './harness.js';

const h = new Harness();
let id = '';
let runcId = '';
const files: number[] = [];
before(() => {
  id = h.id();
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
  if (RUNC) {
    runcId = h.id('runc');
    const rr = h.runcDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), runcId]);
    assert.equal(rr.status, 0, rr.stderr);
  }
  // Three files with known content: fds 3, 4 and 5 of the caller.
  for (const name of ['three', 'four', 'five']) {
    const file = path.join(h.root, `.${name}`);
    fs.writeFileSync(file, `${name}\n`);
    files.push(fs.openSync(file, 'r'));
  }
});
after(() => {
  for (const fd of files) fs.closeSync(fd);
  h.cleanup();
});

/** `hako runtime exec` (or another runtime) with our files as its fds 3, 4 and 5. */
function execWithFds(runtime: string[], args: string[]) {
  const r = spawnSync(runtime[0], [...runtime.slice(1), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', ...files],
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const hako = [HAKO, 'runtime', '--root', h.root];

/** The same command under runc (its container for exec), to compare with; undefined without runc. */
function underRunc(args: string[]) {
  if (!RUNC) return undefined;
  return execWithFds(
    [RUNC, '--root', h.runcRoot()],
    args.map((a) => (a === id ? runcId : a)),
  );
}

/** runc's stdout for the same command must be hako's (and runc must succeed). */
function sameAsRunc(t: { diagnostic: (m: string) => void }, args: string[], hakoStdout: string): void {
  const r = underRunc(args);
  if (!r) {
    t.diagnostic(NO_RUNC);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.equal(hakoStdout, r.stdout, 'runc gives the same');
}

describe('exec --preserve-fds', () => {
  it('passes fds 3 and 4 as the same numbers, and not fd 5, as runc', (t) => {
    // The shell's own test of each fd opens nothing: what it finds open is what exec gave it.
    const args = [
      'exec',
      '--preserve-fds',
      '2',
      id,
      'sh',
      '-c',
      'cat /proc/self/fd/3 /proc/self/fd/4; for fd in $(seq 0 40); do [ -e /proc/$$/fd/$fd ] && echo $fd; done; true',
    ];
    const r = execWithFds(hako, args);
    assert.equal(r.status, 0, r.stderr);
    // Nothing of the caller's beyond N, nothing of the runtime's (plan pipe, sync socket, event loop).
    assert.equal(r.stdout, 'three\nfour\n0\n1\n2\n3\n4\n');
    sameAsRunc(t, args, r.stdout);
  });

  it('with N=3 (sources overlap their targets) every fd is the right file, as runc', (t) => {
    const args = ['exec', '--preserve-fds', '3', id, 'sh', '-c', 'cat /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5'];
    const r = execWithFds(hako, args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'three\nfour\nfive\n');
    sameAsRunc(t, args, r.stdout);
  });

  it("without --preserve-fds the caller's fds stay out, as with runc", (t) => {
    const args = ['exec', id, 'sh', '-c', 'ls /proc/self/fd/3 2>&1 || echo absent'];
    const r = execWithFds(hako, args);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /absent\n$/);
    sameAsRunc(t, args, r.stdout);
  });

  it('an fd the caller does not have, or a bad N, is refused in one line (runc refuses a bad N too)', (t) => {
    const missing = ['exec', '--preserve-fds', '4', id, 'true'];
    let r = execWithFds(hako, missing);
    assert.equal(r.status, 1);
    // fd 6 is the JavaScript runtime's own (its event loop), not the caller's.
    assert.equal(r.stderr, 'hako: exec: --preserve-fds 4: file descriptor 6 was not passed to hako\n');
    const bad = ['exec', '--preserve-fds', 'two', id, 'true'];
    r = execWithFds(hako, bad);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'hako: exec: --preserve-fds two: expects a number of file descriptors\n');
    if (!RUNC) return t.diagnostic(NO_RUNC);
    // runc refuses a bad N. A missing fd it does not notice: it hands over whatever its own fd 6
    // is (from a shell here: its O_PATH fd of the host's /sys/fs/cgroup); hako refuses rather than
    // leak a runtime fd into the container (a deliberate difference).
    assert.notEqual(underRunc(bad)!.status, 0, bad.join(' '));
  });
});

describe('run and create --preserve-fds', () => {
  const show = 'cat /proc/self/fd/3 /proc/self/fd/4; for fd in $(seq 0 40); do [ -e /proc/$$/fd/$fd ] && echo $fd; done; true';

  it("run passes fds 3 and 4 to the container's process, and nothing else, as runc", (t) => {
    const bundle = h.bundle(['sh', '-c', show]);
    const r = execWithFds(hako, ['run', '--preserve-fds', '2', '--bundle', bundle, h.id()]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'three\nfour\n0\n1\n2\n3\n4\n');
    sameAsRunc(t, ['run', '--preserve-fds', '2', '--bundle', bundle, h.id('runc')], r.stdout);
  });

  it('create keeps them until start (the exec FIFO never lands there)', () => {
    const cid = h.id();
    const out = path.join(h.root, '.create-out');
    const outFd = fs.openSync(out, 'w+');
    try {
      const r = spawnSync(HAKO, [...hako.slice(1), 'create', '--preserve-fds', '2', '--bundle', h.bundle(['sh', '-c', show]), cid], {
        stdio: ['ignore', outFd, outFd, ...files],
        timeout: 30_000,
      });
      assert.equal(r.status, 0, fs.readFileSync(out, 'utf8'));
      assert.equal(h.hako(['start', cid]).status, 0);
      waitFor(() => JSON.parse(h.hako(['state', cid]).stdout).status === 'stopped', 'the container to exit');
      assert.equal(fs.readFileSync(out, 'utf8'), 'three\nfour\n0\n1\n2\n3\n4\n');
    } finally {
      fs.closeSync(outFd);
    }
  });
});
