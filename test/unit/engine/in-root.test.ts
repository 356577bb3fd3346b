// Looking into an untrusted image from the host: symlinks stay inside its rootfs, and the volume
// copy-up takes only plain content.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyFromImage, resolveInRoot } from '../../../src/engine/in-root.js';
import { isRoot, mknodIn, tempDir } from '../storage/helpers.js';

test('a symlink to a host path resolves inside the rootfs; the volume copy never reads the host', (t) => {
  const outside = tempDir(t, 'hako-host-');
  writeFileSync(join(outside, 'secret'), 'host');
  const r = tempDir(t, 'hako-image-');
  mkdirSync(join(r, 'data'));
  writeFileSync(join(r, 'data/file'), 'inside');
  symlinkSync('/', join(r, 'var')); // the image's /var is its own root
  symlinkSync(outside, join(r, 'evil')); // absolute: <rootfs><outside>, which does not exist
  assert.equal(resolveInRoot(r, '/var/data/file'), join(r, 'data/file'));
  assert.equal(resolveInRoot(r, '/evil/secret'), null);

  const fromVar = tempDir(t, 'hako-vol-');
  copyFromImage(r, '/var/data', fromVar);
  assert.equal(readFileSync(join(fromVar, 'file'), 'utf8'), 'inside');
  const fromEvil = tempDir(t, 'hako-vol-');
  copyFromImage(r, '/evil', fromEvil);
  assert.deepEqual(readdirSync(fromEvil), [], 'nothing of the host copied');
});

test('the copy keeps files and symlinks as they are and leaves FIFOs and devices out', { skip: !isRoot && 'needs root (mknod)' }, async (t) => {
  const r = tempDir(t, 'hako-image-');
  mkdirSync(join(r, 'data/sub'), { recursive: true });
  writeFileSync(join(r, 'data/sub/f'), 'x');
  symlinkSync('/etc/passwd', join(r, 'data/link'));
  await mknodIn(r, [
    { path: 'data/fifo', kind: 'fifo', mode: 0o644 },
    { path: 'data/zero', kind: 'char', mode: 0o644, major: 1, minor: 5 },
  ]);
  const vol = tempDir(t, 'hako-vol-');
  copyFromImage(r, '/data', vol);
  assert.deepEqual(readdirSync(vol).sort(), ['link', 'sub']);
  assert.equal(readlinkSync(join(vol, 'link')), '/etc/passwd', 'a symlink is copied as a symlink');
  assert.ok(lstatSync(join(vol, 'sub/f')).isFile());
});
