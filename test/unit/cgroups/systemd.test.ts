// The systemd driver's policy without systemd: cgroupsPath parsing, slice expansion, and OCI
// resources as unit properties (runc's conversions). The driver itself runs in
// test/integration/cgroups/systemd.test.ts, in a VM booted with systemd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceProperties, expandSlice, parseSystemdCgroupsPath, rangeToBits, resolveCgroupsPath, resourceProperties } from '../../../src/cgroups/index.js';

const MAX = 0xffffffffffffffffn;

test('cgroupsPath: empty is system.slice:hako:<id>; slice:prefix:name becomes a scope in its slice', () => {
  assert.deepEqual(parseSystemdCgroupsPath('', 'abc'), {
    slice: 'system.slice',
    prefix: 'hako',
    name: 'abc',
    unit: 'hako-abc.scope',
    cgroupPath: '/system.slice/hako-abc.scope',
  });
  assert.equal(
    parseSystemdCgroupsPath('kubepods-besteffort-pod1.slice:cri-containerd:x1', 'x').cgroupPath,
    '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-x1.scope',
  );
  assert.equal(parseSystemdCgroupsPath(':p:n', 'x').cgroupPath, '/system.slice/p-n.scope'); // empty slice: system.slice, as runc
  assert.equal(parseSystemdCgroupsPath('-.slice:p:n', 'x').cgroupPath, '/p-n.scope');
  assert.equal(resolveCgroupsPath(undefined, 'abc', { systemd: true }), 'system.slice:hako:abc');
  assert.equal(resolveCgroupsPath('/a/b', 'abc'), '/a/b');
});

test('cgroupsPath: malformed ones are one error naming linux.cgroupsPath', () => {
  for (const bad of [
    'a:b',
    '..',
    'a:b:c:d',
    '/hako/x',
    'system.slice:hako:../x',
    'system.slice:ha/ko:x',
    'system.slice::x',
    'system.slice:p:',
    'nope:p:n',
    'a--b.slice:p:n',
    '.slice:p:n',
    'system.slice:p:n.slice',
    `system.slice:p:${'x'.repeat(260)}`,
  ]) {
    assert.throws(() => parseSystemdCgroupsPath(bad, 'id'), /linux\.cgroupsPath: '/, bad);
  }
  assert.throws(() => resolveCgroupsPath('system.slice:hako:abc', 'abc'), /--systemd-cgroup/);
});

test('expandSlice: systemd nesting by dashes', () => {
  assert.equal(expandSlice('system.slice'), '/system.slice');
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.equal(expandSlice('-.slice'), '');
  assert.throws(() => expandSlice('-a.slice'), /empty component/);
});

test('resources as unit properties, v2 and v1 (runc genV2/genV1ResourcesProperties)', () => {
  const r = {
    memory: { limit: 64 << 20, swap: 128 << 20, reservation: 1 << 20 },
    pids: { limit: 20 },
    cpu: { shares: 1024, quota: 12345, period: 100000, cpus: '0-2,4' },
  };
  const v2 = new Map(resourceProperties(r, 2).props);
  assert.deepEqual(v2.get('MemoryMax'), ['t', 64n << 20n]);
  assert.deepEqual(v2.get('MemoryLow'), ['t', 1n << 20n]);
  assert.deepEqual(v2.get('MemorySwapMax'), ['t', 64n << 20n]); // swap alone on v2
  assert.deepEqual(v2.get('CPUWeight'), ['t', 39n]);
  assert.deepEqual(v2.get('TasksMax'), ['t', 20n]);
  assert.deepEqual(v2.get('CPUQuotaPeriodUSec'), ['t', 100000n]);
  assert.deepEqual(v2.get('CPUQuotaPerSecUSec'), ['t', 130000n]); // rounded up to 10 ms steps
  assert.deepEqual(v2.get('AllowedCPUs'), ['ay', [0b10111]]);
  assert.equal(resourceProperties(r, 2).resources.cpu?.quota, 13000, 'the files get the rounded quota too');
  const v1 = new Map(resourceProperties(r, 1).props);
  assert.deepEqual(v1.get('MemoryLimit'), ['t', 64n << 20n]);
  assert.deepEqual(v1.get('CPUShares'), ['t', 1024n]);
  assert.equal(v1.has('MemoryMax'), false);
  const unlimited = new Map(resourceProperties({ memory: { limit: -1 }, pids: { limit: -1 }, cpu: { period: 50000 } }, 2).props);
  assert.deepEqual(unlimited.get('MemoryMax'), ['t', MAX]);
  assert.deepEqual(unlimited.get('TasksMax'), ['t', MAX]);
  assert.deepEqual(unlimited.get('CPUQuotaPerSecUSec'), ['t', MAX]);
  const unified = new Map(resourceProperties({ unified: { 'memory.high': '1000', 'pids.max': 'max', 'io.weight': '5' } }, 2).props);
  assert.deepEqual(unified.get('MemoryHigh'), ['t', 1000n]);
  assert.deepEqual(unified.get('TasksMax'), ['t', MAX]);
  assert.throws(() => resourceProperties({ unified: { 'memory.high': 'lots' } }, 2), /linux\.resources\.unified\.memory\.high/);
  assert.throws(() => rangeToBits('3-1', 'f'), /f: /);
});

test('device rules as DevicePolicy/DeviceAllow: strict allow-list, allow-all as auto', () => {
  const props = new Map(deviceProperties({ devices: [{ allow: true, type: 'b', major: 8, minor: 0, access: 'rw' }] }));
  assert.deepEqual(props.get('DevicePolicy'), ['s', 'strict']);
  const allow = (props.get('DeviceAllow') as [string, [string, string][]])[1];
  assert.ok(allow.some(([p, a]) => p === '/dev/block/8:0' && a === 'rw'));
  assert.ok(
    allow.some(([p, a]) => p === 'char-136' && a === 'rwm'),
    'a wildcard minor as char-MAJOR',
  );
  assert.ok(allow.some(([p, a]) => p === 'char-*' && a === 'm'));
  assert.deepEqual(new Map(deviceProperties({ devices: [{ allow: true, access: 'rwm' }] })).get('DevicePolicy'), ['s', 'auto']);
});
