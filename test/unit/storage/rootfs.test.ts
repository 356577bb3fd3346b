import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpackLayer } from '../../../src/storage/layers/index.js';
import { MOUNT_DATA_MAX, MS_RDONLY, overlayAvailable, overlayMountOperation, prepareRootfs } from '../../../src/storage/rootfs.js';
import { HakoError } from '../../../src/util/errors.js';
import { isRoot, makeTar, mknodIn, stream, tempDir } from './helpers.js';

test('overlay mount operation: top layer first, upper/work in containerDir, readonly flag', (t) => {
  const c = tempDir(t);
  const op = overlayMountOperation(['/l/base', '/l/mid', '/l/top'], c);
  assert.deepEqual(op, {
    source: 'overlay',
    target: join(c, 'rootfs'),
    fstype: 'overlay',
    flags: 0,
    data: `lowerdir=/l/top:/l/mid:/l/base,upperdir=${c}/upper,workdir=${c}/work`,
  });
  assert.equal(overlayMountOperation(['/l/a'], c, true).flags, MS_RDONLY);
  assert.equal(existsSync(join(c, 'l')), false, 'no symlinks when not needed');
});

test('overlay mount operation: long or special paths go through short symlinks, then relative paths', (t) => {
  const c = tempDir(t);
  const long = Array.from({ length: 60 }, (_, i) => `/var/lib/hako/storage/layers/sha256/${'ab'.repeat(32)}${i}`);
  const viaLinks = overlayMountOperation(long, c);
  assert.ok(viaLinks.data.length <= MOUNT_DATA_MAX);
  assert.ok(viaLinks.data.startsWith(`lowerdir=${c}/l/0:${c}/l/1:`));
  assert.equal(readlinkSync(join(c, 'l/0')), long[59], 'l/0 is the top layer');
  assert.equal(viaLinks.cwd, undefined);

  const withColon = overlayMountOperation(['/x/a:b', '/x/c'], c);
  assert.equal(withColon.data, `lowerdir=${c}/l/0:${c}/l/1,upperdir=${c}/upper,workdir=${c}/work`);
  assert.equal(readlinkSync(join(c, 'l/1')), '/x/a:b');

  const many = Array.from({ length: 400 }, (_, i) => `/layers/${i}`);
  const rel = overlayMountOperation(many, c, false, 2000 + 400 * 6);
  assert.equal(rel.cwd, c);
  assert.ok(rel.data.startsWith('lowerdir=l/0:l/1:'));
  assert.ok(rel.data.endsWith(',upperdir=upper,workdir=work'));
  assert.throws(
    () => overlayMountOperation(many, c, false, 100),
    (e: unknown) => e instanceof HakoError && /do not fit/.test(e.message),
  );
});

test('overlayAvailable reads /proc/filesystems', (t) => {
  const d = tempDir(t);
  writeFileSync(join(d, 'with'), 'nodev\tsysfs\nnodev\toverlay\n\text4\n');
  writeFileSync(join(d, 'without'), 'nodev\tsysfs\n\text4\n');
  assert.equal(overlayAvailable(join(d, 'with')), true);
  assert.equal(overlayAvailable(join(d, 'without')), false);
  assert.equal(overlayAvailable(join(d, 'missing')), false);
});

test('prepareRootfs overlay: creates dirs, cleanup removes them; bad layers are refused', async (t) => {
  const top = tempDir(t);
  const l1 = join(top, 'l1');
  mkdirSync(l1);
  const c = join(top, 'c');
  if (overlayAvailable()) {
    const r = await prepareRootfs({ layersDirs: [l1], containerDir: c });
    assert.equal(r.kind, 'overlay');
    assert.deepEqual(readdirSync(c).sort(), ['rootfs', 'upper', 'work']);
    assert.equal(r.mount!.data, `lowerdir=${l1},upperdir=${c}/upper,workdir=${c}/work`);
    await assert.rejects(prepareRootfs({ layersDirs: [l1], containerDir: c }), /already exists/);
    r.cleanup();
    assert.deepEqual(readdirSync(c), []);
  }
  await assert.rejects(prepareRootfs({ layersDirs: [l1, join(top, 'nope')], containerDir: c }), /layer 1 .*nope: not a directory/);
});

test('copy fallback applies layers with whiteout and opaque semantics', { skip: !isRoot && 'needs root (mknod whiteouts)' }, async (t) => {
  const top = tempDir(t);
  const layers = [join(top, 'l0'), join(top, 'l1'), join(top, 'l2')];
  for (const l of layers) mkdirSync(l);
  await unpackLayer(
    stream(
      await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/keep', data: 'k' },
        { name: 'etc/gone', data: 'g' },
        { name: 'opq/', type: 'directory' },
        { name: 'opq/old', data: 'o' },
        { name: 'lnk', type: 'symlink', linkname: '/etc' },
        { name: 'bin/', type: 'directory' },
        { name: 'bin/a', data: 'A', mode: 0o4755 },
        { name: 'bin/b', type: 'link', linkname: 'bin/a' },
      ]),
    ),
    layers[0],
  );
  await unpackLayer(
    stream(
      await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/.wh.gone' },
        { name: 'opq/', type: 'directory' },
        { name: 'opq/.wh..wh..opq' },
        { name: 'opq/new', data: 'n' },
        { name: 'lnk/', type: 'directory', mode: 0o700 },
        { name: 'lnk/inside', data: 'i' },
      ]),
    ),
    layers[1],
  );
  await unpackLayer(
    stream(
      await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/keep', data: 'k2' },
      ]),
    ),
    layers[2],
    { whiteout: 'xattr' },
  );
  const r = await prepareRootfs({ layersDirs: layers, containerDir: join(top, 'c'), forceCopy: true });
  t.after(() => r.cleanup());
  assert.equal(r.kind, 'copy');
  assert.deepEqual(readdirSync(join(r.rootfs, 'etc')), ['keep']);
  assert.equal(readFileSync(join(r.rootfs, 'etc/keep'), 'utf8'), 'k2');
  assert.deepEqual(readdirSync(join(r.rootfs, 'opq')), ['new']);
  assert.ok(lstatSync(join(r.rootfs, 'lnk')).isDirectory());
  assert.equal(lstatSync(join(r.rootfs, 'lnk')).mode & 0o7777, 0o700);
  assert.equal(lstatSync(join(r.rootfs, 'bin/a')).mode & 0o7777, 0o4755);
  assert.equal(lstatSync(join(r.rootfs, 'bin/a')).ino, lstatSync(join(r.rootfs, 'bin/b')).ino);
  r.cleanup();
  assert.equal(existsSync(r.rootfs), false);
});

test('copy fallback: a hostile layer dir is copied without following anything or opening fifos', { skip: !isRoot && 'needs root (mknod)' }, async (t) => {
  const top = tempDir(t);
  const outside = join(top, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim'), 'original');
  const outsideMode = lstatSync(outside).mode;
  const [l0, l1] = [join(top, 'l0'), join(top, 'l1')];
  mkdirSync(l0);
  mkdirSync(l1);
  // lower: symlinks to the host where the upper layer has directories and files
  symlinkSync(outside, join(l0, 'e'));
  symlinkSync(outside, join(l0, 'o'));
  symlinkSync(join(outside, 'victim'), join(l0, 'f'));
  // upper, made by hand as a hostile image could have left it
  mkdirSync(join(l1, 'e'), { mode: 0o777 });
  writeFileSync(join(l1, 'e/victim'), 'pwned');
  mkdirSync(join(l1, 'o'));
  writeFileSync(join(l1, 'f'), 'file');
  symlinkSync('/etc/passwd', join(l1, 'e/s'));
  await mknodIn(l1, [
    { path: 'fifo', kind: 'fifo', mode: 0o644 },
    { path: 'zero', kind: 'char', mode: 0o666, major: 1, minor: 5 },
  ]);
  let deep = join(l1, 'deep');
  for (let i = 0; i < 300; i++) deep = join(deep, 'd');
  mkdirSync(deep, { recursive: true });
  const r = await prepareRootfs({ layersDirs: [l0, l1], containerDir: join(top, 'c'), forceCopy: true });
  assert.ok(lstatSync(join(r.rootfs, 'e')).isDirectory());
  assert.equal(readFileSync(join(r.rootfs, 'e/victim'), 'utf8'), 'pwned');
  assert.equal(readlinkSync(join(r.rootfs, 'e/s')), '/etc/passwd');
  assert.ok(lstatSync(join(r.rootfs, 'o')).isDirectory());
  assert.equal(readFileSync(join(r.rootfs, 'f'), 'utf8'), 'file');
  assert.ok(lstatSync(join(r.rootfs, 'fifo')).isFIFO());
  assert.equal(lstatSync(join(r.rootfs, 'zero')).rdev, (1 << 8) | 5);
  assert.ok(existsSync(join(r.rootfs, 'deep', ...Array(300).fill('d'))));
  assert.deepEqual(readdirSync(outside), ['victim']);
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'original');
  assert.equal(lstatSync(outside).mode, outsideMode);
  r.cleanup();
  assert.equal(existsSync(r.rootfs), false);
});
