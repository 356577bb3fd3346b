// The layer worker (`hako-init unpack`, src/storage/layers/worker.ts) on its own: bytes, no
// following of symlinks, errors naming the record's label, removal of deep trees.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LayerWorker, removeTree } from '../../../src/storage/layers/index.js';
import { HakoError } from '../../../src/util/errors.js';
import { isRoot, tempDir, xattrsOf } from './helpers.js';
import { rec } from '../../../src/native/ops.js';

test('xattr values are bytes both ways, NULs included', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'f'), '');
  const value = Buffer.from([0, 1, 2, 0xff, 0, 10]);
  const w = new LayerWorker(dir);
  w.op(rec('xattr', 'f', 'user.hako', value), 'f');
  try {
    await w.close();
  } catch (e) {
    if (/not supported/i.test((e as Error).message)) return t.skip('no user xattrs on this file system');
    throw e;
  }
  assert.deepEqual((await xattrsOf(dir, 'f'))['user.hako'], value);
});

test('an xattr on a final symlink goes to the link, never its target; a symlink parent fails', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'target'), '');
  symlinkSync('target', join(dir, 'link'));
  symlinkSync('.', join(dir, 'up'));
  // user.* xattrs are not allowed on symlinks: following it would have set one on the target.
  let w = new LayerWorker(dir);
  w.op(rec('xattr', 'link', 'user.x', Buffer.from('v')), 'the-entry');
  await assert.rejects(w.close(), (e: unknown) => e instanceof HakoError && /^layer entry "the-entry": link: setxattr user\.x: /.test(e.message));
  assert.equal((await xattrsOf(dir, 'target'))['user.x'], undefined);
  w = new LayerWorker(dir);
  w.op(rec('file', 'up/x', '0', '-1', '-1', '420', '0', '0'), 'up/x');
  await assert.rejects(w.close(), (e: unknown) => e instanceof HakoError && /^layer entry "up\/x": up\/x: parent up \(a symlink\): /.test(e.message));
  assert.equal(existsSync(join(dir, 'x')), false);
});

test('a fifo gets its mode and owner; a failure names the entry and stops the stream', { skip: !isRoot && 'needs root (chown)' }, async (t) => {
  const dir = tempDir(t);
  let w = new LayerWorker(dir);
  w.op(rec('node', 'fifo', 'fifo', String(0o640), '0', '0', '12', '34', '0', '0'), 'fifo');
  await w.close();
  const st = lstatSync(join(dir, 'fifo'));
  assert.ok(st.isFIFO());
  assert.equal(st.mode & 0o7777, 0o640);
  assert.deepEqual([st.uid, st.gid], [12, 34]);
  w = new LayerWorker(dir);
  w.op(rec('node', 'missing/fifo', 'fifo', '384', '0', '0', '-1', '-1', '0', '0'), 'a');
  w.op(rec('node', 'second', 'fifo', '384', '0', '0', '-1', '-1', '0', '0'), 'b');
  await assert.rejects(
    w.close(),
    (e: unknown) => e instanceof HakoError && e.message === 'layer entry "a": missing/fifo: parent missing: No such file or directory',
  );
  assert.equal(existsSync(join(dir, 'second')), false);
});

test('removeTree removes a 3000-level tree without following symlinks out of it', (t) => {
  const top = tempDir(t);
  const outside = join(top, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'keep'), 'x');
  const victim = join(top, 'victim');
  mkdirSync(victim);
  // Deeper than PATH_MAX as one path: made step by step, relative to the working directory.
  const cwd = process.cwd();
  try {
    process.chdir(victim);
    const hundred = Array(100).fill('d').join('/');
    for (let i = 0; i < 30; i++) {
      mkdirSync(hundred, { recursive: true });
      process.chdir(hundred);
    }
    symlinkSync(outside, 'out'); // at the bottom: followed, it would take the outside with it
  } finally {
    process.chdir(cwd);
  }
  removeTree(victim);
  assert.equal(existsSync(victim), false);
  assert.equal(existsSync(join(outside, 'keep')), true);
  removeTree(victim); // missing is fine
});
