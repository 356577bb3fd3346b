// `exec --preserve-fds N` (and run's and create's) as runc: the caller's fds 3..3+N-1 reach the process as the same numbers,
// and nothing else does (not the caller's fd 3+N, not the runtime's plan pipe, sync socket or
// sockets). The caller hands the fds to bin/hako through spawn's stdio array, as a shell's `3<file`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HAKO, Harness, waitFor } from './harness.js';

const h = new Harness();
let id = '';
const files: number[] = [];
before(() => {
  id = h.id();
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
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
    stdio: ['ignore', 'pipe', 'pipe', ...files], encoding: 'utf8', timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const hako = [HAKO, 'runtime', '--root', h.root];

describe('exec --preserve-fds', () => {
  it('passes fds 3 and 4 as the same numbers, and not fd 5', () => {
    // The shell's own test of each fd opens nothing: what it finds open is what exec gave it.
    const r = execWithFds(hako, ['exec', '--preserve-fds', '2', id, 'sh', '-c',
      'cat /proc/self/fd/3 /proc/self/fd/4; for fd in $(seq 0 40); do [ -e /proc/$$/fd/$fd ] && echo $fd; done; true']);
    assert.equal(r.status, 0, r.stderr);
    // Nothing of the caller's beyond N, nothing of the runtime's (plan pipe, sync socket, event loop).
    assert.equal(r.stdout, 'three\nfour\n0\n1\n2\n3\n4\n');
  });

  it('with N=3 (sources overlap their targets) every fd is the right file', () => {
    const r = execWithFds(hako, ['exec', '--preserve-fds', '3', id, 'sh', '-c', 'cat /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'three\nfour\nfive\n');
  });

  it('without --preserve-fds the caller\'s fds stay out', () => {
    const r = execWithFds(hako, ['exec', id, 'sh', '-c', 'ls /proc/self/fd/3 2>&1 || echo absent']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /absent\n$/);
  });

  it('an fd the caller does not have, or a bad N, is refused in one line', () => {
    let r = execWithFds(hako, ['exec', '--preserve-fds', '4', id, 'true']);
    assert.equal(r.status, 1);
    // fd 6 is the JavaScript runtime's own (its event loop), not the caller's.
    assert.equal(r.stderr, 'hako: exec: --preserve-fds 4: file descriptor 6 was not passed to hako\n');
    r = execWithFds(hako, ['exec', '--preserve-fds', 'two', id, 'true']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'hako: exec: --preserve-fds two: expects a number of file descriptors\n');
  });
});

describe('run and create --preserve-fds', () => {
  const show = 'cat /proc/self/fd/3 /proc/self/fd/4; for fd in $(seq 0 40); do [ -e /proc/$$/fd/$fd ] && echo $fd; done; true';

  it('run passes fds 3 and 4 to the container\'s process, and nothing else', () => {
    const r = execWithFds(hako, ['run', '--preserve-fds', '2', '--bundle', h.bundle(['sh', '-c', show]), h.id()]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'three\nfour\n0\n1\n2\n3\n4\n');
  });

  it('create keeps them until start (the exec FIFO never lands there)', () => {
    const cid = h.id();
    const out = path.join(h.root, '.create-out');
    const outFd = fs.openSync(out, 'w+');
    try {
      const r = spawnSync(HAKO, [...hako.slice(1), 'create', '--preserve-fds', '2', '--bundle', h.bundle(['sh', '-c', show]), cid], {
        stdio: ['ignore', outFd, outFd, ...files], timeout: 30_000,
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
