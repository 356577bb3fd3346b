// The per-container lock (src/util/dirlock.ts): a file with the owner's pid, taken over from dead
// owners, including the lock directories earlier versions used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireDirLock, releaseDirLock } from '../../../src/util/dirlock.js';

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
  acquireDirLock(lock, opts);
  assert.equal(fs.readFileSync(lock, 'utf8'), String(process.pid));
  assert.throws(() => acquireDirLock(lock, opts), new RegExp(`busy ${process.pid}`));
  releaseDirLock(lock);
  assert.equal(fs.existsSync(lock), false);
});

test('takes over the lock of a dead owner, also an old-style lock directory', (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'file-lock');
  fs.writeFileSync(file, String(deadPid()));
  acquireDirLock(file, opts);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
  const old = path.join(dir, 'dir-lock');
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, 'pid'), String(deadPid()));
  acquireDirLock(old, opts);
  assert.equal(fs.readFileSync(old, 'utf8'), String(process.pid));
});

test('a lock in a directory that is gone is the caller\'s "missing" error', (t) => {
  assert.throws(() => acquireDirLock(path.join(tmp(t), 'gone', 'lock'), opts), /missing/);
});
