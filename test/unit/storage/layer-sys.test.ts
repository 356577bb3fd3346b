// hako-init's `layer-ops` mode through helperSys: the calls layers need that Node lacks.
import assert from 'node:assert/strict';
import { lstatSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { helperSys } from '../../../src/storage/layers/index.js';
import { HakoError } from '../../../src/util/errors.js';
import { isRoot, tempDir } from './helpers.js';

test('xattr values are bytes both ways, NULs included; missing paths list as empty', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f');
  writeFileSync(file, '');
  const value = Buffer.from([0, 1, 2, 0xff, 0, 10]);
  try {
    await helperSys.run([{ op: 'lsetxattr', path: file, name: 'user.hako', value }]);
  } catch (e) {
    if (/not supported/i.test((e as Error).message)) return t.skip('no user xattrs on this file system');
    throw e;
  }
  const [got, missing] = await helperSys.listXattrs([file, join(dir, 'nothing-here')]);
  assert.deepEqual(got!['user.hako'], value);
  assert.deepEqual(missing, {});
});

test('lsetxattr does not follow a final symlink', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'target'), '');
  symlinkSync('target', join(dir, 'link'));
  // user.* xattrs are not allowed on symlinks: following it would have set one on the target.
  await assert.rejects(
    helperSys.run([{ op: 'lsetxattr', path: join(dir, 'link'), name: 'user.x', value: Buffer.from('v') }]),
    (e: unknown) => e instanceof HakoError && /^layer: lsetxattr: .*\/link user\.x: /.test(e.message),
  );
  const [target] = await helperSys.listXattrs([join(dir, 'target')]);
  assert.equal(target!['user.x'], undefined);
});

test('a fifo gets its mode and owner; a failure names the operation and path and stops the batch', { skip: !isRoot && 'needs root (chown)' }, async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'fifo');
  await helperSys.run([{ op: 'mknod', path: fifo, kind: 'fifo', mode: 0o640, major: 0, minor: 0, uid: 12, gid: 34 }]);
  const st = lstatSync(fifo);
  assert.ok(st.isFIFO());
  assert.equal(st.mode & 0o7777, 0o640);
  assert.equal(st.uid, 12);
  assert.equal(st.gid, 34);
  // The same path again fails (EEXIST); the operation after it must not run.
  await assert.rejects(
    helperSys.run([
      { op: 'mknod', path: fifo, kind: 'fifo', mode: 0o600, major: 0, minor: 0, uid: -1, gid: -1 },
      { op: 'mknod', path: join(dir, 'second'), kind: 'fifo', mode: 0o600, major: 0, minor: 0, uid: -1, gid: -1 },
    ]),
    (e: unknown) => e instanceof HakoError && e.message === `layer: node: mknod ${fifo}: File exists`,
  );
  assert.throws(() => lstatSync(join(dir, 'second')), /ENOENT/);
});
