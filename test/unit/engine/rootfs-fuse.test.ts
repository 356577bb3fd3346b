// The rootless mount program's policy, without a user or a daemon: when the kernel's overlayfs
// serves, what $HAKO_MOUNT_PROGRAM may name, and the options fuse-overlayfs gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuseOptions, MOUNT_PROGRAM_ENV, nativeRootlessOverlay, rootlessMountProgram } from '../../../src/engine/rootfs-fuse.js';

test('nativeRootlessOverlay: kernels from 5.11 mount overlayfs in a user namespace', () => {
  assert.equal(nativeRootlessOverlay('5.10.0-28-amd64'), false);
  assert.equal(nativeRootlessOverlay('4.19.0'), false);
  assert.equal(nativeRootlessOverlay('5.11.0'), true);
  assert.equal(nativeRootlessOverlay('6.1.0-18-amd64'), true);
  assert.equal(nativeRootlessOverlay('6.18.0'), true);
});

test('fuseOptions: the overlay options less the kernel-only userxattr, plus allow_other', () => {
  assert.equal(fuseOptions('lowerdir=/a:/b,upperdir=/u,workdir=/w,userxattr'), 'lowerdir=/a:/b,upperdir=/u,workdir=/w,allow_other');
});

test('rootlessMountProgram: $HAKO_MOUNT_PROGRAM by path or name; a missing one is one line', () => {
  const saved = process.env[MOUNT_PROGRAM_ENV];
  try {
    process.env[MOUNT_PROGRAM_ENV] = '/nonexistent/fuse-overlayfs';
    assert.throws(() => rootlessMountProgram(), /^HakoError: HAKO_MOUNT_PROGRAM=\/nonexistent\/fuse-overlayfs: no such executable/);
    process.env[MOUNT_PROGRAM_ENV] = 'no-such-mount-program';
    assert.throws(() => rootlessMountProgram(), /no such executable/);
    process.env[MOUNT_PROGRAM_ENV] = 'sh';
    assert.match(rootlessMountProgram()!, /^\/.*\/sh$/);
    delete process.env[MOUNT_PROGRAM_ENV];
    if (nativeRootlessOverlay()) assert.equal(rootlessMountProgram(), undefined, 'unasked, the kernel overlay serves');
  } finally {
    if (saved === undefined) delete process.env[MOUNT_PROGRAM_ENV];
    else process.env[MOUNT_PROGRAM_ENV] = saved;
  }
});
