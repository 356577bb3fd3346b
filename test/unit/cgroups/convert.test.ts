import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ALLOWED_DEVICES,
  convertBlkioToIoWeight,
  convertSharesToWeight,
  convertSharesToWeightQuadratic,
  convertSwapToV2,
  detectLayout,
  deviceRuleString,
  deviceWrites,
  resolveCgroupsPath,
} from '../../../src/cgroups/index.js';
import { hierarchiesFromMountinfo } from '../../../src/cgroups/v1.js';
import { strerror } from '../../../src/cgroups/io.js';
import { HakoError } from '../../../src/util/errors.js';
import { FakeCgroup1, FakeCgroup2 } from './fakefs.js';

test('convertSharesToWeight: runc linear formula 1 + ((shares - 2) * 9999) / 262142', () => {
  assert.equal(convertSharesToWeight(0), 0); // unset
  assert.equal(convertSharesToWeight(2), 1);
  assert.equal(convertSharesToWeight(512), 20);
  assert.equal(convertSharesToWeight(1024), 39);
  assert.equal(convertSharesToWeight(262143), 9999);
  assert.equal(convertSharesToWeight(262144), 10000);
  // Out of range values are clamped rather than producing an invalid cpu.weight.
  assert.equal(convertSharesToWeight(1), 1);
  assert.equal(convertSharesToWeight(10_000_000), 10000);
});

test('convertSharesToWeightQuadratic: newer runc maps min, default and max onto v2 min, default, max', () => {
  assert.equal(convertSharesToWeightQuadratic(0), 0);
  assert.equal(convertSharesToWeightQuadratic(2), 1);
  assert.equal(convertSharesToWeightQuadratic(1024), 100);
  assert.equal(convertSharesToWeightQuadratic(262144), 10000);
  assert.ok(convertSharesToWeightQuadratic(512) < 100 && convertSharesToWeightQuadratic(2048) > 100);
});

test('convertBlkioToIoWeight: 10..1000 -> 1..10000', () => {
  assert.equal(convertBlkioToIoWeight(0), 0);
  assert.equal(convertBlkioToIoWeight(10), 1);
  assert.equal(convertBlkioToIoWeight(500), 4950);
  assert.equal(convertBlkioToIoWeight(1000), 10000);
});

test('convertSwapToV2: memory+swap -> swap alone, with runc special cases', () => {
  assert.equal(convertSwapToV2(0, -1), -1); // unlimited memory, swap unset: unlimited swap
  assert.equal(convertSwapToV2(-1, 100), -1);
  assert.equal(convertSwapToV2(0, 100), 0); // unset
  assert.equal(convertSwapToV2(300, 100), 200);
  assert.equal(convertSwapToV2(100, 100), 0); // no swap at all
  assert.equal(convertSwapToV2(300, -1), 300);
  assert.throws(() => convertSwapToV2(50, 100), /memory\+swap limit 50 is below the memory limit 100/);
  assert.throws(() => convertSwapToV2(100, 0), /swap limit without memory limit/);
});

test('device rules: OCI entries to v1 strings, default deny first, runc defaults last', () => {
  assert.equal(deviceRuleString({ allow: false, access: 'rwm' }), 'a *:* rwm');
  assert.equal(deviceRuleString({ allow: true, type: 'c', major: 1, minor: 3 }), 'c 1:3 rwm');
  assert.equal(deviceRuleString({ allow: true, type: 'c', major: 136, minor: null, access: 'rw' }), 'c 136:* rw');
  assert.equal(deviceRuleString({ allow: true, type: 'b', major: -1, minor: -1, access: 'm' }), 'b *:* m');
  // runc 1.1's reading of access: only r, w, m count, in that order; an "a" rule is always rwm.
  assert.equal(deviceRuleString({ allow: true, type: 'c', major: 10, minor: 229, access: 'rwa' }), 'c 10:229 rw');
  assert.equal(deviceRuleString({ allow: true, type: 'c', major: 10, minor: 229, access: 'mwrw' }), 'c 10:229 rwm');
  assert.equal(deviceRuleString({ allow: true, access: 'xyz' }), 'a *:* rwm');
  // A rule allowing or denying nothing is not written (the kernel would refuse its empty access).
  assert.equal(deviceWrites([{ allow: false, type: 'c', major: 1, minor: 3, access: 'x' }]).length, 1 + DEFAULT_ALLOWED_DEVICES.length);
  const writes = deviceWrites([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ]);
  assert.deepEqual(writes.slice(0, 3), [
    { file: 'devices.deny', value: 'a *:* rwm' },
    { file: 'devices.deny', value: 'a *:* rwm' },
    { file: 'devices.allow', value: 'c 10:229 rwm' },
  ]);
  assert.equal(writes.length, 3 + DEFAULT_ALLOWED_DEVICES.length);
  assert.deepEqual(writes.at(-1), { file: 'devices.allow', value: 'c 10:200 rwm' });
  assert.ok(writes.some((w) => w.value === 'c 1:3 rwm' && w.file === 'devices.allow'));
});

test('resolveCgroupsPath: default, absolute, relative, refused forms', () => {
  assert.equal(resolveCgroupsPath(undefined, 'abc'), '/hako/abc');
  assert.equal(resolveCgroupsPath('', 'abc'), '/hako/abc');
  assert.equal(resolveCgroupsPath('/a/b/', 'abc'), '/a/b');
  assert.equal(resolveCgroupsPath('/a//b/../c', 'abc'), '/a/c');
  assert.equal(resolveCgroupsPath('a/b', 'abc'), '/a/b'); // relative: anchored at the hierarchy root
  assert.equal(resolveCgroupsPath('../../x', 'abc'), '/x'); // cannot climb out
  assert.throws(
    () => resolveCgroupsPath('/', 'abc'),
    (e: unknown) => e instanceof HakoError && /linux\.cgroupsPath: '\/' is the root cgroup/.test(e.message),
  );
  assert.throws(() => resolveCgroupsPath('system.slice:hako:abc', 'abc'), /linux\.cgroupsPath: .*systemd "slice:prefix:name"/);
});

test('detectLayout: v2, hybrid, v1 from the files present', (t) => {
  const v2 = new FakeCgroup2();
  const hybrid = new FakeCgroup1({ unified: true });
  const v1 = new FakeCgroup1({ unified: false });
  t.after(() => [v2, hybrid, v1].forEach((f) => f.cleanup()));
  assert.equal(detectLayout(v2.root), 'v2');
  assert.equal(detectLayout(hybrid.root), 'hybrid');
  assert.equal(detectLayout(v1.root), 'v1');
});

test('hierarchiesFromMountinfo: controllers from super options, only below root, bind mounts once', () => {
  const mi = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '42 31 0:39 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio',
    '50 1 0:29 / /elsewhere/cpu rw - cgroup cgroup rw,cpu,cpuacct',
    '51 31 0:29 / /sys/fs/cgroup/cpu\\040copy rw - cgroup cgroup rw,cpu,cpuacct',
  ].join('\n');
  assert.deepEqual(hierarchiesFromMountinfo(mi, '/sys/fs/cgroup'), [
    { controllers: ['cpu', 'cpuacct'], mount: '/sys/fs/cgroup/cpu,cpuacct' },
    { controllers: ['name=systemd'], mount: '/sys/fs/cgroup/systemd' },
    { controllers: ['net_cls', 'net_prio'], mount: '/sys/fs/cgroup/net_cls,net_prio' },
  ]);
});

test('strerror: glibc texts for errno codes, libuv text otherwise', () => {
  assert.equal(strerror(Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' })), 'Invalid argument');
  assert.equal(strerror(Object.assign(new Error('x'), { code: 'ERANGE' })), 'Numerical result out of range');
  assert.equal(strerror(Object.assign(new Error('Unknown system error -524'), { errno: -524 })), 'Operation not supported (ENOTSUPP)');
  assert.equal(strerror(Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), { code: 'EXDEV' })), 'Cross-device link not permitted');
});
