import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { unpackLayer } from '../../../src/storage/layers/index.js';
import { HakoError } from '../../../src/util/errors.js';
import { isRoot, makeTar, sha256, stream, T0, tempDir, xattrsOf, zstdRaw } from './helpers.js';

const T1 = new Date('2021-03-03T03:03:03Z');
const secs = (d: Date) => Math.floor(d.getTime() / 1000);
const mtimeOf = (p: string) => Math.floor(lstatSync(p).mtimeMs / 1000);

test('regular files, dirs, symlinks, hard links, modes and mtimes', async (t) => {
  const dest = tempDir(t);
  const buf = await makeTar([
    { name: './', type: 'directory', mode: 0o755 },
    { name: 'bin/', type: 'directory', mode: 0o755, mtime: T1 },
    { name: 'bin/su', data: 'su!', mode: 0o4755 },
    { name: 'bin/wall', data: 'wall', mode: 0o2755 },
    { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime: T1 },
    { name: 'bin/busybox', data: 'BB', mode: 0o755, mtime: T1 },
    { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'ro/', type: 'directory', mode: 0o555 },
    { name: 'ro/f', data: 'x', mode: 0o400 },
    { name: 'implicit/parent/file', data: 'deep' },
  ]);
  const res = await unpackLayer(stream(buf), dest);
  assert.equal(res.diffID, sha256(buf));
  assert.equal(res.size, buf.length);
  assert.equal(res.compressedSize, buf.length);
  assert.equal(readFileSync(join(dest, 'bin/su'), 'utf8'), 'su!');
  assert.equal(statSync(join(dest, 'bin/su')).mode & 0o7777, 0o4755);
  assert.equal(statSync(join(dest, 'bin/wall')).mode & 0o7777, 0o2755);
  assert.equal(statSync(join(dest, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(statSync(join(dest, 'ro')).mode & 0o7777, 0o555);
  assert.equal(readFileSync(join(dest, 'ro/f'), 'utf8'), 'x');
  assert.equal(readlinkSync(join(dest, 'bin/sh')), '/bin/busybox');
  assert.equal(statSync(join(dest, 'bin/ls')).ino, statSync(join(dest, 'bin/busybox')).ino);
  assert.equal(readFileSync(join(dest, 'implicit/parent/file'), 'utf8'), 'deep');
  // mtimes: files, symlinks (lutimes), and directories set after their children were created
  assert.equal(mtimeOf(join(dest, 'bin/su')), secs(T0));
  assert.equal(mtimeOf(join(dest, 'bin/busybox')), secs(T1));
  assert.equal(mtimeOf(join(dest, 'bin/sh')), secs(T1));
  assert.equal(mtimeOf(join(dest, 'bin')), secs(T1));
  assert.equal(mtimeOf(join(dest, 'ro')), secs(T0));
  assert.equal(mtimeOf(dest), secs(T0));
});

test('ownership is applied with lchown, setuid survives it, id maps translate', { skip: !isRoot && 'needs root' }, async (t) => {
  const dest = tempDir(t);
  const buf = await makeTar([
    { name: 'd/', type: 'directory', uid: 1234, gid: 5678, mode: 0o2750 },
    { name: 'd/suid', data: 'x', uid: 1000, gid: 1000, mode: 0o6755 },
    { name: 'd/link', type: 'symlink', linkname: '/nonexistent', uid: 42, gid: 43 },
  ]);
  await unpackLayer(stream(buf), dest);
  const d = lstatSync(join(dest, 'd'));
  assert.deepEqual([d.uid, d.gid, d.mode & 0o7777], [1234, 5678, 0o2750]);
  const f = lstatSync(join(dest, 'd/suid'));
  assert.deepEqual([f.uid, f.gid, f.mode & 0o7777], [1000, 1000, 0o6755]);
  const l = lstatSync(join(dest, 'd/link'));
  assert.deepEqual([l.uid, l.gid], [42, 43]);

  const mapped = tempDir(t);
  const idMap = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }] };
  await unpackLayer(stream(buf), mapped, { idMap });
  const m = lstatSync(join(mapped, 'd/suid'));
  assert.deepEqual([m.uid, m.gid, m.mode & 0o7777], [101000, 201000, 0o6755]);

  const small = { uidMappings: [{ containerID: 0, hostID: 100000, size: 1000 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };
  await assert.rejects(unpackLayer(stream(buf), tempDir(t), { idMap: small }), /"d\/": uid 1234 is not mapped/);
});

test('gzip and zstd layers give the diffID of the uncompressed tar', async (t) => {
  const buf = await makeTar([
    { name: 'a', data: 'hello'.repeat(1000) },
    { name: 'b/', type: 'directory' },
  ]);
  const gz = gzipSync(buf);
  const dest = tempDir(t);
  const res = await unpackLayer(stream(gz), dest, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
  assert.equal(res.diffID, sha256(buf));
  assert.equal(res.compressedSize, gz.length);
  assert.equal(readFileSync(join(dest, 'a'), 'utf8'), 'hello'.repeat(1000));

  const zst = zstdRaw(buf);
  let haveFzstd = true;
  try {
    await import('fzstd' as string);
  } catch {
    haveFzstd = false;
  }
  const zdest = tempDir(t);
  if (haveFzstd) {
    const z = await unpackLayer(stream(zst, 333), zdest, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' });
    assert.equal(z.diffID, sha256(buf));
    assert.equal(readFileSync(join(zdest, 'a'), 'utf8'), 'hello'.repeat(1000));
  } else {
    await assert.rejects(unpackLayer(stream(zst), zdest), /zstd layers not supported/);
  }
});

test('bad media types and corrupt streams give one HakoError', async (t) => {
  const buf = await makeTar([{ name: 'a', data: 'x' }]);
  await assert.rejects(
    unpackLayer(stream(buf), tempDir(t), { mediaType: 'application/vnd.oci.image.layer.v1.tar+bzip2' }),
    (e: unknown) => e instanceof HakoError && /media type .*unsupported/.test(e.message),
  );
  const gz = gzipSync(buf);
  gz[gz.length - 6] ^= 0xff; // break the CRC
  await assert.rejects(unpackLayer(stream(gz), tempDir(t)), (e: unknown) => e instanceof HakoError && /gzip/.test(e.message));
  await assert.rejects(unpackLayer(stream(buf), join(tempDir(t), 'missing')), /not a directory/);
});

test('flatten mode: whiteouts delete lower files, opaque dirs hide lower contents only', async (t) => {
  const root = tempDir(t);
  const lower = await makeTar([
    { name: 'a/b', data: 'b' },
    { name: 'a/c', data: 'c' },
    { name: 'd/x', data: 'x' },
    { name: 'd/sub/y', data: 'y' },
    { name: 'e/old', data: 'old' },
    { name: 'e/sub/old', data: 'old' },
    { name: 'gone/deep/file', data: 'z' },
  ]);
  await unpackLayer(stream(lower), root, { mode: 'flatten' });
  const upper = await makeTar([
    { name: 'a/.wh.b' },
    { name: '.wh.gone' },
    { name: 'd/.wh..wh..opq' }, // marker first (as the spec recommends)
    { name: 'd/new', data: 'new' },
    { name: 'e/keep', data: 'keep' }, // marker after this layer's own entries: they must stay
    { name: 'e/sub/keep2', data: 'k' },
    { name: 'e/.wh..wh..opq' },
    { name: 'f/.wh.never-existed' },
  ]);
  await unpackLayer(stream(upper), root, { mode: 'flatten' });
  assert.deepEqual(readdirSync(join(root, 'a')), ['c']);
  assert.equal(existsSync(join(root, 'gone')), false);
  assert.deepEqual(readdirSync(join(root, 'd')), ['new']);
  assert.deepEqual(readdirSync(join(root, 'e')).sort(), ['keep', 'sub']);
  assert.deepEqual(readdirSync(join(root, 'e/sub')), ['keep2']);
  assert.deepEqual(readdirSync(join(root, 'f')), []);
  // no whiteout files are left behind in flatten mode
  assert.equal(existsSync(join(root, 'a/.wh.b')), false);
});

test('flatten mode: a file replaces a lower directory and a directory replaces a lower file', async (t) => {
  const root = tempDir(t);
  await unpackLayer(
    stream(
      await makeTar([
        { name: 'x/y', data: '1' },
        { name: 'z', data: 'file' },
      ]),
    ),
    root,
    { mode: 'flatten' },
  );
  await unpackLayer(
    stream(
      await makeTar([
        { name: 'x', data: 'now a file' },
        { name: 'z/inner', data: 'now a dir' },
      ]),
    ),
    root,
    { mode: 'flatten' },
  );
  assert.equal(readFileSync(join(root, 'x'), 'utf8'), 'now a file');
  assert.equal(readFileSync(join(root, 'z/inner'), 'utf8'), 'now a dir');
});

test('overlay mode: char-device whiteouts and opaque xattrs', { skip: !isRoot && 'needs root (mknod, trusted.* xattrs)' }, async (t) => {
  const dest = tempDir(t);
  const buf = await makeTar([
    { name: 'a/', type: 'directory' },
    { name: 'a/.wh.b' },
    { name: 'd/', type: 'directory' },
    { name: 'd/.wh..wh..opq' },
    { name: 'd/new', data: 'n' },
  ]);
  await unpackLayer(stream(buf), dest);
  const w = lstatSync(join(dest, 'a/b'));
  assert.ok(w.isCharacterDevice());
  assert.equal(w.rdev, 0);
  assert.equal(existsSync(join(dest, 'a/.wh.b')), false);
  assert.equal(existsSync(join(dest, 'd/.wh..wh..opq')), false);
  const [xa, xd] = [await xattrsOf(dest, 'a'), await xattrsOf(dest, 'd')];
  assert.equal(xa['trusted.overlay.opaque'], undefined);
  assert.equal(xd['trusted.overlay.opaque']?.toString(), 'y');

  const xdest = tempDir(t);
  await unpackLayer(stream(buf), xdest, { whiteout: 'xattr' });
  const xw = lstatSync(join(xdest, 'a/b'));
  assert.ok(xw.isFile());
  assert.equal(xw.size, 0);
  const [fx, px] = [await xattrsOf(xdest, 'a/b'), await xattrsOf(xdest, 'a')];
  assert.ok(fx['trusted.overlay.whiteout'] !== undefined);
  assert.equal(px['trusted.overlay.opaque']?.toString(), 'x');
});

test('xattrs from PAX headers, binary values intact, set after chown', { skip: !isRoot && 'needs root (security.* xattrs)' }, async (t) => {
  const dest = tempDir(t);
  const bin = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
  // VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_RAW (bit 13)
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const buf = await makeTar([
    { name: 'ping', data: 'ELF', mode: 0o755, uid: 1, gid: 1, paxRaw: { 'SCHILY.xattr.user.bin': bin, 'SCHILY.xattr.security.capability': cap } },
    { name: 'dir/', type: 'directory', paxRaw: { 'SCHILY.xattr.user.note': Buffer.from('hi') } },
  ]);
  await unpackLayer(stream(buf), dest);
  const [f, d] = [await xattrsOf(dest, 'ping'), await xattrsOf(dest, 'dir')];
  assert.deepEqual(f['user.bin'], bin);
  assert.deepEqual(f['security.capability'], cap);
  assert.equal(d['user.note']?.toString(), 'hi');
  assert.equal(lstatSync(join(dest, 'ping')).uid, 1);
});

test("a layer's own overlayfs xattrs are dropped: it cannot forge redirects or metacopies", { skip: !isRoot && 'needs root (trusted.* xattrs)' }, async (t) => {
  const dest = tempDir(t);
  const buf = await makeTar([
    { name: 'd/', type: 'directory', paxRaw: { 'SCHILY.xattr.trusted.overlay.redirect': Buffer.from('/etc'), 'SCHILY.xattr.user.keep': Buffer.from('1') } },
    { name: 'f', data: 'x', paxRaw: { 'SCHILY.xattr.trusted.overlay.metacopy': Buffer.alloc(0), 'SCHILY.xattr.user.overlay.opaque': Buffer.from('y') } },
    // fuse-overlayfs's own metadata (a rootless root with HAKO_MOUNT_PROGRAM) too.
    { name: 'g', data: 'x', paxRaw: { 'SCHILY.xattr.user.fuseoverlayfs.opaque': Buffer.from('y'), 'SCHILY.xattr.user.keep': Buffer.from('2') } },
  ]);
  await unpackLayer(stream(buf), dest);
  const [d, f] = [await xattrsOf(dest, 'd'), await xattrsOf(dest, 'f')];
  assert.deepEqual(Object.keys(d), ['user.keep']);
  assert.deepEqual(Object.keys(f), []);
  assert.deepEqual(Object.keys(await xattrsOf(dest, 'g')), ['user.keep']);
});

test('device nodes and fifos are created with mode, owner and mtime', { skip: !isRoot && 'needs root (mknod)' }, async (t) => {
  const dest = tempDir(t);
  const buf = await makeTar([
    { name: 'dev/', type: 'directory', mtime: T1 },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime: T1 },
    { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
    { name: 'run/fifo', type: 'fifo', mode: 0o620, uid: 5 },
  ]);
  await unpackLayer(stream(buf), dest);
  const n = lstatSync(join(dest, 'dev/null'));
  assert.ok(n.isCharacterDevice());
  assert.equal(n.rdev, (1 << 8) | 3);
  assert.equal(n.mode & 0o7777, 0o666);
  assert.equal(Math.floor(n.mtimeMs / 1000), secs(T1));
  const b = lstatSync(join(dest, 'dev/loop9'));
  assert.ok(b.isBlockDevice());
  assert.equal(b.rdev, (7 << 8) | 9);
  assert.equal(b.gid, 6);
  const f = lstatSync(join(dest, 'run/fifo'));
  assert.ok(f.isFIFO());
  assert.equal(f.mode & 0o7777, 0o620);
  assert.equal(f.uid, 5);
  assert.equal(mtimeOf(join(dest, 'dev')), secs(T1)); // directory mtime set after mknod into it
});

test('an existing hard link or symlink in the destination is replaced, never written through', async (t) => {
  const top = tempDir(t);
  const dest = join(top, 'dest');
  const outside = join(top, 'outside');
  mkdirSync(dest);
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim'), 'original');
  const { linkSync, symlinkSync } = await import('node:fs');
  linkSync(join(outside, 'victim'), join(dest, 'hl'));
  symlinkSync(join(outside, 'victim'), join(dest, 'sl'));
  await unpackLayer(
    stream(
      await makeTar([
        { name: 'hl', data: 'pwned' },
        { name: 'sl', data: 'pwned' },
      ]),
    ),
    dest,
    { mode: 'flatten' },
  );
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'original');
  assert.equal(readFileSync(join(dest, 'hl'), 'utf8'), 'pwned');
  assert.ok(lstatSync(join(dest, 'sl')).isFile());
});

test('overlay mode: whiteouts and opaque markers at the layer root mark the root itself', { skip: !isRoot && 'needs root (trusted.* xattrs)' }, async (t) => {
  const xdest = tempDir(t);
  await unpackLayer(stream(await makeTar([{ name: '.wh.gone' }])), xdest, { whiteout: 'xattr' });
  assert.equal((await xattrsOf(xdest, ''))['trusted.overlay.opaque']?.toString(), 'x');
  const odest = tempDir(t);
  await unpackLayer(stream(await makeTar([{ name: '.wh..wh..opq' }, { name: 'f', data: 'x' }])), odest);
  assert.equal((await xattrsOf(odest, ''))['trusted.overlay.opaque']?.toString(), 'y');
});
