// hako's one cross-process lock (src/util/pidlock.ts): a file with the owner's pid, taken over from
// dead owners, including the lock directories earlier versions used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquirePidLock, releasePidLock, withPidLock } from '../../../src/util/pidlock.js';

const opts = {
  timeoutMs: 50,
  missing: () => new Error('missing'),
  busy: (owner: number) => new Error(`busy ${owner}`),
};

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-lock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pid that just exited (the kernel does not hand it out again at once). */
const deadPid = (): number => spawnSync('true').pid!;

test('holds our pid while taken; a second taker waits, then gives up naming the owner', (t) => {
  const lock = path.join(tmp(t), 'lock');
  acquirePidLock(lock, opts);
  assert.equal(fs.readFileSync(lock, 'utf8'), String(process.pid));
  assert.throws(() => acquirePidLock(lock, opts), new RegExp(`busy ${process.pid}`));
  releasePidLock(lock);
  assert.equal(fs.existsSync(lock), false);
});

test('takes over the lock of a dead owner, also an old-style lock directory', (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'file-lock');
  fs.writeFileSync(file, String(deadPid()));
  acquirePidLock(file, opts);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
  const old = path.join(dir, 'dir-lock');
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, 'pid'), String(deadPid()));
  acquirePidLock(old, opts);
  assert.equal(fs.readFileSync(old, 'utf8'), String(process.pid));
});

test('a lock in a directory that is gone is the caller\'s "missing" error', (t) => {
  assert.throws(() => acquirePidLock(path.join(tmp(t), 'gone', 'lock'), opts), /missing/);
});

test('withPidLock: a stale lock (dead pid) is broken, a live one times out', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-lock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lock = path.join(dir, 'l.lock');
  fs.writeFileSync(lock, '999999999\n'); // beyond pid_max: never alive
  assert.equal(
    withPidLock(lock, () => 42),
    42,
  );
  assert.equal(fs.existsSync(lock), false);
  fs.writeFileSync(lock, `${process.ppid}\n`); // our parent is alive
  assert.throws(() => withPidLock(lock, () => 1, 50), /timed out waiting for lock .* \(held by pid \d+\)/);
  fs.rmSync(lock);
  // Re-entrant within one process.
  assert.equal(
    withPidLock(lock, () => withPidLock(lock, () => 'inner')),
    'inner',
  );
});

test('an empty lock file (a crash between create and write) is stale after a while', (t) => {
  const lock = path.join(tmp(t), 'lock');
  fs.writeFileSync(lock, '');
  assert.throws(() => acquirePidLock(lock, opts), /busy 0/);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lock, old, old);
  acquirePidLock(lock, opts);
  assert.equal(fs.readFileSync(lock, 'utf8'), String(process.pid));
});
