// Real overlayfs: the mount operation computed by prepareRootfs is performed with /bin/mount (test
// code only: src/ never mounts), and the merged view must show upper-layer deletions, opaque
// directories, and match the copy fallback entry for entry.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpackLayer } from '../../../src/storage/layers/index.js';
import { isMountPoint, overlayAvailable, overlayMountOperation, prepareRootfs, type MountOperation } from '../../../src/storage/rootfs.js';
import { makeTar, stream, T0, type TarEntry } from '../../unit/storage/helpers.js';

const LAYERS: TarEntry[][] = [
  [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' },
    { name: 'etc/deleted', data: 'bye' },
    { name: 'var/', type: 'directory' },
    { name: 'var/cache/', type: 'directory' },
    { name: 'var/cache/a', data: 'a' },
    { name: 'var/cache/sub/b', data: 'b' },
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', data: 'BB', mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/su', data: 'su', mode: 0o4755, uid: 0, gid: 0 },
    { name: 'home/u/', type: 'directory', uid: 1000, gid: 1000, mode: 0o700 },
    { name: 'dir-becomes-file/', type: 'directory' },
    { name: 'dir-becomes-file/x', data: 'x' },
  ],
  [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.deleted' },
    { name: 'etc/new', data: 'new' },
    { name: 'var/', type: 'directory' },
    { name: 'var/cache/', type: 'directory' },
    { name: 'var/cache/.wh..wh..opq' },
    { name: 'var/cache/fresh', data: 'f' },
    { name: '.wh.dir-becomes-file' },
  ],
  [
    { name: 'dir-becomes-file', data: 'now a file' },
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', data: 'BB2', mode: 0o755 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.new' },
  ],
];

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const base = `${r} mode=${st.mode.toString(8)} uid=${st.uid} gid=${st.gid}`;
      if (st.isDirectory()) {
        out.push(`${base} dir`);
        walk(p, r);
      } else if (st.isSymbolicLink()) out.push(`${base} -> ${readlinkSync(p)}`);
      else out.push(`${base} mtime=${Math.floor(st.mtimeMs / 1000)} ${JSON.stringify(readFileSync(p, 'utf8'))}`);
    }
  };
  walk(root, '');
  return out;
}

function mountOverlay(op: MountOperation): void {
  execFileSync('/bin/mount', ['-t', op.fstype, '-o', op.data, ...(op.flags & 1 ? ['-r'] : []), op.source, op.target], { cwd: op.cwd ?? '/', stdio: 'pipe' });
}

function umount(target: string): void {
  if (isMountPoint(target)) execFileSync('/bin/umount', [target], { stdio: 'pipe' });
}

// overlayfs honours xattr whiteouts (a zero-size file with trusted.overlay.whiteout, its parent
// marked) from Linux 6.7; older kernels show the marker files as plain empty files.
const [major, minor] = release()
  .split('.')
  .map((n) => parseInt(n, 10));
const xattrWhiteoutsKnown = major > 6 || (major === 6 && minor >= 7);
const skipFor = (whiteout: 'chardev' | 'xattr'): string | false =>
  !overlayAvailable()
    ? 'no overlayfs'
    : whiteout === 'xattr' && !xattrWhiteoutsKnown
      ? `overlayfs knows xattr whiteouts from Linux 6.7; this kernel is ${release()}`
      : false;

for (const whiteout of ['chardev', 'xattr'] as const) {
  test(`overlay rootfs from ${whiteout} whiteouts matches the copy fallback`, { skip: skipFor(whiteout) }, async (t) => {
    const top = mkdtempSync(join(tmpdir(), 'hako-ovl-'));
    const targets: string[] = [];
    t.after(() => {
      for (const m of targets) {
        try {
          umount(m);
        } catch {
          execFileSync('/bin/umount', ['-l', m], { stdio: 'ignore' });
        }
      }
      rmSync(top, { recursive: true, force: true });
    });
    const dirs: string[] = [];
    for (const [i, entries] of LAYERS.entries()) {
      const d = join(top, `layer${i}`);
      mkdirSync(d);
      await unpackLayer(stream(await makeTar(entries)), d, { whiteout });
      dirs.push(d);
    }

    const ovl = await prepareRootfs({ layersDirs: dirs, containerDir: join(top, 'c-ovl') });
    assert.equal(ovl.kind, 'overlay');
    targets.push(ovl.rootfs);
    mountOverlay(ovl.mount!);
    const r = ovl.rootfs;
    assert.deepEqual(readdirSync(join(r, 'etc')).sort(), ['passwd'], 'etc/deleted and etc/new are whited out');
    assert.deepEqual(readdirSync(join(r, 'var/cache')), ['fresh'], 'the opaque dir hides the lower contents');
    assert.equal(readFileSync(join(r, 'dir-becomes-file'), 'utf8'), 'now a file');
    assert.equal(readFileSync(join(r, 'bin/busybox'), 'utf8'), 'BB2');
    assert.equal(lstatSync(join(r, 'bin/su')).mode & 0o7777, 0o4755);
    assert.equal(Math.floor(lstatSync(join(r, 'bin/su')).mtimeMs / 1000), Math.floor(T0.getTime() / 1000));
    const merged = tree(r);
    assert.throws(() => ovl.cleanup(), /still mounted/);

    const copy = await prepareRootfs({ layersDirs: dirs, containerDir: join(top, 'c-copy'), forceCopy: true });
    assert.equal(copy.kind, 'copy');
    assert.deepEqual(tree(copy.rootfs), merged);
    copy.cleanup();

    umount(r);
    ovl.cleanup();
    assert.deepEqual(readdirSync(join(top, 'c-ovl')), []);
  });
}

test('overlay data with relative lowerdirs (cwd) mounts the same view', { skip: !overlayAvailable() && 'no overlayfs' }, async (t) => {
  const top = mkdtempSync(join(tmpdir(), 'hako-ovl-'));
  const c = join(top, 'c');
  t.after(() => {
    try {
      umount(join(c, 'rootfs'));
    } catch {
      execFileSync('/bin/umount', ['-l', join(c, 'rootfs')], { stdio: 'ignore' });
    }
    rmSync(top, { recursive: true, force: true });
  });
  const dirs: string[] = [];
  for (const [i, entries] of LAYERS.entries()) {
    const d = join(top, `layer${i}`);
    mkdirSync(d);
    await unpackLayer(stream(await makeTar(entries)), d);
    dirs.push(d);
  }
  for (const s of ['rootfs', 'upper', 'work']) mkdirSync(join(c, s), { recursive: true });
  const op = overlayMountOperation(dirs, c, true, 60); // force the relative form
  assert.equal(op.cwd, c);
  mountOverlay(op);
  assert.deepEqual(readdirSync(join(c, 'rootfs/etc')), ['passwd']);
  assert.deepEqual(readdirSync(join(c, 'rootfs/var/cache')), ['fresh']);
  assert.throws(() => execFileSync('/bin/sh', ['-c', `echo x > ${join(c, 'rootfs/etc/passwd')}`], { stdio: 'pipe' }), 'readonly mount');
});
