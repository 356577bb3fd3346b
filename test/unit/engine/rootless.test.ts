// The rootless engine's policy, without a user to run as: subordinate id files, the maps laid out
// from them (default and keep-id), what a rootless config.json changes, and the one-line refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { subidRanges } from '../../../src/util/subids.js';
import { applyRootless, checkRootlessLimits, layout, mappedIds, type UserMaps } from '../../../src/engine/rootless.js';
import { defaultSpec } from '../../../src/oci/default.js';
import { ROOTFS_MOUNT_ANNOTATION } from '../../../src/runtime/index.js';

test('subidRanges: the user by name or uid, in file order; malformed lines and other users skipped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-subid-'));
  try {
    const file = path.join(dir, 'subuid');
    fs.writeFileSync(file, ['alice:100000:65536', 'bob:165536:65536', 'garbage', 'alice:x:5', '1000:300000:10', 'alice:0:5', ''].join('\n'));
    assert.deepEqual(subidRanges(file, { name: 'alice', id: 1000 }), [
      { first: 100000, count: 65536 },
      { first: 300000, count: 10 },
    ]);
    assert.deepEqual(subidRanges(file, { name: 'carol', id: 1002 }), []);
    assert.deepEqual(subidRanges(path.join(dir, 'missing'), { name: 'alice', id: 1000 }), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('layout: root is the user, then the ranges; keep-id puts the user at its own id', () => {
  const ranges = [
    { first: 100000, count: 65536 },
    { first: 300000, count: 10 },
  ];
  assert.deepEqual(layout(1000, 0, ranges), [
    { containerID: 0, hostID: 1000, size: 1 },
    { containerID: 1, hostID: 100000, size: 65536 },
    { containerID: 65537, hostID: 300000, size: 10 },
  ]);
  const keep = layout(1000, 1000, ranges);
  assert.deepEqual(keep.slice(0, 3), [
    { containerID: 0, hostID: 100000, size: 1000 },
    { containerID: 1000, hostID: 1000, size: 1 },
    { containerID: 1001, hostID: 101000, size: 64536 },
  ]);
  assert.equal(mappedIds(keep), 65547);
  // No container id is mapped twice, no host id is used twice.
  const covered = keep.flatMap((m) => Array.from({ length: Math.min(m.size, 3) }, (_, i) => m.containerID + i));
  assert.equal(new Set(covered).size, covered.length);
});

const FULL: UserMaps = { uidMappings: layout(1000, 0, [{ first: 100000, count: 65536 }]), gidMappings: layout(1000, 0, [{ first: 100000, count: 65536 }]) };
const SINGLE: UserMaps = {
  uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
  gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
  note: 'note: no entry',
};

test('applyRootless: a user namespace with the maps, the overlay mounted inside, devices the only rules', () => {
  const spec = defaultSpec();
  spec.linux!.resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 1 } };
  spec.process!.oomScoreAdj = 0;
  applyRootless(spec, FULL, { source: 'overlay', fstype: 'overlay', flags: 0, data: 'lowerdir=/a,upperdir=/u,workdir=/w,userxattr' });
  assert.ok(spec.linux!.namespaces!.some((n) => n.type === 'user' && !n.path));
  assert.deepEqual(spec.linux!.uidMappings, FULL.uidMappings);
  assert.deepEqual(spec.linux!.resources, { devices: [{ allow: false, access: 'rwm' }] });
  assert.equal(spec.process!.oomScoreAdj, undefined);
  assert.equal(JSON.parse(spec.annotations![ROOTFS_MOUNT_ANNOTATION]!).fstype, 'overlay');
  // The default spec has a network namespace of its own: sysfs can be mounted there.
  assert.equal(spec.mounts!.find((m) => m.destination === '/sys')!.type, 'sysfs');
});

test('applyRootless: the host network gets /sys bound; a single id drops gid=5 and the groups', () => {
  const spec = defaultSpec();
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'network');
  spec.process!.user = { uid: 0, gid: 0, additionalGids: [0, 10] };
  applyRootless(spec, SINGLE, undefined);
  const sys = spec.mounts!.filter((m) => m.destination === '/sys');
  assert.deepEqual(
    sys.map((m) => m.options),
    [['rbind', 'nosuid', 'noexec', 'nodev', 'ro']],
  );
  assert.ok(!spec.mounts!.find((m) => m.destination === '/dev/pts')!.options!.includes('gid=5'));
  assert.deepEqual(spec.process!.user.additionalGids, []);
});

test('applyRootless: a user beyond the maps is one line naming the file', () => {
  const spec = defaultSpec();
  spec.process!.user = { uid: 1000, gid: 0 };
  assert.throws(
    () => applyRootless(spec, SINGLE, undefined),
    /^HakoError: uid 1000 is not mapped: this user's containers hold uids 0-0 \(no entry in \/etc\/subuid\)$/,
  );
  const full = defaultSpec();
  full.process!.user = { uid: 0, gid: 70000 };
  assert.throws(
    () => applyRootless(full, FULL, undefined),
    /gid 70000 is not mapped: this user's containers hold gids 0-65536 \(the ranges in \/etc\/subgid\)/,
  );
});

test('checkRootlessLimits: each limit flag refused without a delegated cgroup, none with one', () => {
  assert.throws(
    () => checkRootlessLimits({ memory: 1 << 26 }, false),
    /^HakoError: --memory: rootless limits need cgroup v2 with a subtree delegated to uid \d+/,
  );
  assert.throws(() => checkRootlessLimits({ pidsLimit: 10 }, false), /--pids-limit/);
  assert.throws(() => checkRootlessLimits({ cpus: 0.5 }, false), /--cpus/);
  assert.doesNotThrow(() => checkRootlessLimits({ pidsLimit: 0 }, false));
  assert.doesNotThrow(() => checkRootlessLimits({ memory: 1 << 26 }, true));
});
