// The v1 driver's write sequences against the fake cgroupfs (fakefs.ts). The real-kernel behaviour
// is covered by test/integration/cgroups on this host's v1 hierarchies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DEFAULT_ALLOWED_DEVICES, discoverV1Hierarchies, openCgroup } from '../../../src/cgroups/index.js';
import { assertOneLineHakoError, FakeCgroup1, type FakeV1Options } from './fakefs.js';

const MiB = 1024 * 1024;

function setup(t: { after: (fn: () => void) => void }, path = '/hako/c1', opts: FakeV1Options = {}) {
  const fake = new FakeCgroup1(opts);
  t.after(() => fake.cleanup());
  const warnings: string[] = [];
  const cg = openCgroup(path, { root: fake.root, io: fake, warn: (m) => warnings.push(m) });
  const dir = (h: string): string => `${fake.root}/${h}${path}`;
  const file = (h: string, name: string): string => fs.readFileSync(`${dir(h)}/${name}`, 'utf8').trim();
  return { fake, cg, warnings, dir, file };
}

/** Every hierarchy directory that holds `path` (to prove nothing is left behind). */
function leftovers(root: string, path: string): string[] {
  return fs.readdirSync(root).filter((h) => !fs.lstatSync(`${root}/${h}`).isSymbolicLink() && h !== 'unified' && fs.existsSync(`${root}/${h}${path}`));
}

test('v1 discovery from directory names: "cpu,cpuacct" once, systemd -> name=systemd, unified skipped', (t) => {
  const fake = new FakeCgroup1();
  t.after(() => fake.cleanup());
  const hs = discoverV1Hierarchies(fake.root, '/nonexistent-mountinfo');
  assert.deepEqual(hs.map((h) => h.controllers.join(',')).sort(), [
    'blkio',
    'cpu,cpuacct',
    'cpuset',
    'devices',
    'freezer',
    'hugetlb',
    'memory',
    'name=systemd',
    'net_cls,net_prio',
    'pids',
  ]);
  assert.ok(hs.every((h) => h.mount.startsWith(fake.root)));
});

test('v1 create: a directory in every hierarchy; cpuset.cpus/mems copied from the parent at each level', (t) => {
  const { fake, cg, file, dir } = setup(t);
  assert.equal(cg.version, 1);
  cg.create();
  assert.deepEqual(leftovers(fake.root, '/hako/c1').sort(), [
    'blkio',
    'cpu,cpuacct',
    'cpuset',
    'devices',
    'freezer',
    'hugetlb',
    'memory',
    'net_cls,net_prio',
    'pids',
    'systemd',
  ]);
  assert.deepEqual(fake.writesUnder(`${fake.root}/cpuset/`), [
    'hako/cpuset.cpus=0-1',
    'hako/cpuset.mems=0',
    'hako/c1/cpuset.cpus=0-1',
    'hako/c1/cpuset.mems=0',
  ]);
  assert.equal(file('cpuset', 'cpuset.cpus'), '0-1');
  // The fake refuses (ENOSPC) a pid in a cpuset without cpus/mems, as the kernel does.
  cg.addProcess(1234);
  for (const h of ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'pids', 'systemd']) {
    assert.equal(fs.readFileSync(`${fake.root}/${h}/hako/c1/cgroup.procs`, 'utf8').trim(), '1234', h);
  }
  assert.equal(cg.dirs()['name=systemd'], `${fake.root}/systemd/hako/c1`);
  assert.equal(cg.dirs().cpuacct, dir('cpu,cpuacct'));
});

test('v1 explicit cpuset values are written after the inherited ones', (t) => {
  const { fake, cg, file } = setup(t);
  cg.create({ cpu: { cpus: '1', mems: '0' } });
  assert.deepEqual(fake.writesUnder(`${fake.root}/cpuset/hako/c1/`), ['cpuset.cpus=0-1', 'cpuset.mems=0', 'cpuset.cpus=1', 'cpuset.mems=0']);
  assert.equal(file('cpuset', 'cpuset.cpus'), '1');
});

test('v1 devices: deny all first, then the config rules in order, then runc default allows', (t) => {
  const { fake, cg, dir } = setup(t);
  cg.create({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: false, type: 'b', major: 8 },
    ],
  });
  const seq = fake.writesUnder(`${dir('devices')}/`);
  assert.deepEqual(seq.slice(0, 4), ['devices.deny=a *:* rwm', 'devices.deny=a *:* rwm', 'devices.allow=c 10:229 rwm', 'devices.deny=b 8:* rwm']);
  assert.equal(seq.length, 4 + DEFAULT_ALLOWED_DEVICES.length);
  assert.deepEqual(seq.slice(4, 7), ['devices.allow=c *:* m', 'devices.allow=b *:* m', 'devices.allow=c 1:3 rwm']);
  // update() leaves device rules alone (rewriting them would briefly deny everything).
  const before = fake.writes.length;
  cg.update({ devices: [{ allow: true, access: 'rwm' }] });
  assert.equal(fake.writes.length, before);
});

test('v1 devices: access as runc reads it ("rwa" is rw); what runc\'s v1 emulator refuses fails before any write', (t) => {
  const { fake, cg, dir } = setup(t);
  cg.create({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwa' },
    ],
  });
  assert.deepEqual(fake.writesUnder(`${dir('devices')}/`).slice(0, 3), ['devices.deny=a *:* rwm', 'devices.deny=a *:* rwm', 'devices.allow=c 10:229 rw']);
  const other = openCgroup('/hako/c2', { root: fake.root, io: fake, warn: () => {} });
  const before = fake.writes.length;
  assertOneLineHakoError(
    () => other.create({ devices: [{ allow: true, type: 'c', major: 10, minor: 229, access: 'RW' }] }),
    /^cgroup devices: access 'RW' of rule "c 10:229 " has none of r, w and m/,
  );
  assert.throws(
    () =>
      other.create({
        devices: [
          { allow: true, type: 'c', access: 'rwm' },
          { allow: false, type: 'c', major: 1, minor: 3, access: 'r' },
        ],
      }),
    /cannot punch a hole/,
  );
  assert.equal(fake.writes.length, before);
  assert.equal(other.exists(), false);
});

test('v1 memory + swap: write order keeps memsw >= limit when raising and when lowering', (t) => {
  const { fake, cg, dir, file } = setup(t);
  const mem = `${dir('memory')}/`;
  cg.create({ memory: { limit: 100 * MiB, swap: 200 * MiB } });
  assert.deepEqual(fake.writesUnder(mem), [`memory.limit_in_bytes=${100 * MiB}`, `memory.memsw.limit_in_bytes=${200 * MiB}`]);
  fake.writes.length = 0;
  cg.update({ memory: { limit: 300 * MiB, swap: 400 * MiB } }); // raise: memsw first
  assert.deepEqual(fake.writesUnder(mem), [`memory.memsw.limit_in_bytes=${400 * MiB}`, `memory.limit_in_bytes=${300 * MiB}`]);
  fake.writes.length = 0;
  cg.update({ memory: { limit: 50 * MiB, swap: 60 * MiB } }); // lower: limit first
  assert.deepEqual(fake.writesUnder(mem), [`memory.limit_in_bytes=${50 * MiB}`, `memory.memsw.limit_in_bytes=${60 * MiB}`]);
  fake.writes.length = 0;
  cg.update({ memory: { limit: -1 } }); // unlimited memory: unlimited swap too, memsw first
  assert.deepEqual(fake.writesUnder(mem), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
  assert.equal(file('memory', 'memory.limit_in_bytes'), '9223372036854771712');
});

test('v1 memory extras: reservation, swappiness, disableOOMKiller, kernelTCP; kernel without file warns', (t) => {
  const { cg, warnings, file } = setup(t);
  cg.create({ memory: { limit: 64 * MiB, reservation: 32 * MiB, swappiness: 0, disableOOMKiller: true, kernel: 8 * MiB, kernelTCP: 4 * MiB } });
  assert.equal(file('memory', 'memory.soft_limit_in_bytes'), String(32 * MiB));
  assert.equal(file('memory', 'memory.swappiness'), '0');
  assert.match(file('memory', 'memory.oom_control'), /^oom_kill_disable 1/);
  assert.equal(file('memory', 'memory.kmem.tcp.limit_in_bytes'), String(4 * MiB));
  assert.deepEqual(warnings, ['linux.resources.memory.kernel ignored: this kernel has no memory.kmem.limit_in_bytes']);
  cg.update({ memory: { swappiness: -1 } }); // -1 = unset
  assert.equal(file('memory', 'memory.swappiness'), '0');
  assertOneLineHakoError(
    () => cg.update({ memory: { swappiness: 150 } }),
    /^cgroup memory: swappiness 150 is outside 0-100 \(linux\.resources\.memory\.swappiness\)$/,
  );
});

test('v1 memory.kernel is written where the kernel still has the file', (t) => {
  const { cg, warnings, file } = setup(t, '/k', { kmem: true });
  cg.create({ memory: { kernel: 8 * MiB } });
  assert.equal(file('memory', 'memory.kmem.limit_in_bytes'), String(8 * MiB));
  assert.deepEqual(warnings, []);
});

test('v1 cpu: shares, cfs quota/period, burst, rt, idle', (t) => {
  const { fake, cg, dir, file } = setup(t);
  cg.create({ cpu: { shares: 512, quota: 20000, period: 100000, burst: 1000, realtimePeriod: 1000000, realtimeRuntime: 0, idle: 1 } });
  assert.deepEqual(fake.writesUnder(`${dir('cpu,cpuacct')}/`), [
    'cpu.rt_period_us=1000000',
    'cpu.shares=512',
    'cpu.cfs_period_us=100000',
    'cpu.cfs_quota_us=20000',
    'cpu.cfs_burst_us=1000',
    'cpu.idle=1',
  ]);
  assert.equal(file('cpu,cpuacct', 'cpu.cfs_quota_us'), '20000');
  assertOneLineHakoError(
    () => cg.update({ cpu: { shares: 1_000_000 } }),
    /^cgroup cpu: cpu\.shares 1000000 is above the maximum 262144 \(linux\.resources\.cpu\.shares\)$/,
  );
});

test('v1 bad value: one-line error naming resource, file and kernel error; no directory left anywhere', (t) => {
  const { fake, cg } = setup(t, '/hako/x');
  assertOneLineHakoError(
    () => cg.create({ memory: { limit: 64 * MiB }, cpu: { quota: 500 } }),
    new RegExp(`^cgroup cpu: writing '500' to ${fake.root}/cpu,cpuacct/hako/x/cpu\\.cfs_quota_us: Invalid argument$`),
  );
  assert.deepEqual(leftovers(fake.root, '/hako'), []);
  assertOneLineHakoError(
    () => cg.create({ cpu: { cpus: '99-100' } }),
    /^cgroup cpuset: writing '99-100' to .*\/cpuset\/hako\/x\/cpuset\.cpus: Invalid argument$/,
  );
  assert.deepEqual(leftovers(fake.root, '/hako'), []);
});

test('v1 missing controller: error names it; nothing created', (t) => {
  const { fake, cg } = setup(t, '/hako/x', { hierarchies: ['cpu,cpuacct', 'memory', 'systemd'] });
  assertOneLineHakoError(
    () => cg.create({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }),
    /^cgroup hugetlb: controller is not mounted under .* \(needed for linux\.resources\.hugepageLimits\)$/,
  );
  assertOneLineHakoError(() => cg.create({ network: { classID: 0x100001 } }), /^cgroup net_cls: controller is not mounted .*network\.classID/);
  assertOneLineHakoError(() => cg.create({ pids: { limit: 5 } }), /^cgroup pids: controller is not mounted/);
  assertOneLineHakoError(() => cg.create({ devices: [{ allow: true, access: 'rwm' }] }), /^cgroup devices: controller is not mounted/);
  assertOneLineHakoError(
    () => cg.create({ unified: { 'memory.high': '1' } }),
    /^cgroup unified: key 'memory\.high' needs cgroup v2, but .* uses cgroup v1 \(linux\.resources\.unified\)$/,
  );
  assert.deepEqual(leftovers(fake.root, '/hako'), []);
  cg.create({ memory: { limit: MiB } }); // without devices/freezer hierarchies the rest still works
  assert.equal(cg.state(), 'thawed');
  assertOneLineHakoError(() => cg.freeze(), /^cgroup freezer: controller is not mounted/);
});

test('v1 pids, blkio (BFQ fallback), hugetlb, net_cls, net_prio', (t) => {
  const { cg, file } = setup(t);
  cg.create({
    pids: { limit: 0 },
    blockIO: {
      weight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
  });
  assert.equal(file('pids', 'pids.max'), 'max');
  cg.update({ pids: { limit: 10 } });
  assert.equal(file('pids', 'pids.max'), '10');
  cg.update({ pids: { limit: -1 } });
  assert.equal(file('pids', 'pids.max'), 'max');
  assert.equal(file('blkio', 'blkio.bfq.weight'), '300');
  assert.equal(file('blkio', 'blkio.bfq.weight_device'), '8:0 200');
  assert.equal(file('blkio', 'blkio.throttle.read_bps_device'), '8:0 1000');
  assert.equal(file('blkio', 'blkio.throttle.write_iops_device'), '8:0 10');
  assert.equal(file('hugetlb', 'hugetlb.2MB.limit_in_bytes'), String(4 * MiB));
  assert.equal(file('net_cls,net_prio', 'net_cls.classid'), String(0x100001));
  assert.equal(file('net_cls,net_prio', 'net_prio.ifpriomap'), 'eth0 5');
  assertOneLineHakoError(() => cg.update({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), /^cgroup hugetlb: page size '2M' is not like 2MB/);
});

test('v1 freeze/thaw/state, recursive pids, killAll freezes around SIGKILL, oomKills, stats', async (t) => {
  const { fake, cg, dir, file } = setup(t);
  cg.create();
  cg.addProcess(11);
  openCgroup('/hako/c1/inner', { root: fake.root, io: fake }).create();
  openCgroup('/hako/c1/inner', { root: fake.root, io: fake }).addProcess(12);
  assert.deepEqual(cg.pids().sort(), [11, 12]);
  cg.freeze();
  assert.equal(cg.state(), 'frozen');
  assert.equal(file('freezer', 'freezer.state'), 'FROZEN');
  cg.thaw();
  assert.equal(cg.state(), 'thawed');
  // The library's variants: the same writes, waiting on timers.
  await cg.freezeAsync();
  assert.equal(file('freezer', 'freezer.state'), 'FROZEN');
  await cg.thawAsync();
  assert.equal(cg.state(), 'thawed');
  // SIGKILL: freeze, signal, thaw. Signal 0 is harmless to the (nonexistent) fake pids; it proves
  // the "no freezing for other signals" path and that ESRCH is ignored.
  fake.writes.length = 0;
  cg.killAll(0);
  await cg.killAllAsync(0);
  assert.deepEqual(fake.writesUnder(`${dir('freezer')}/`), []);
  fs.writeFileSync(`${dir('memory')}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
  assert.equal(cg.oomKills(), 3);
  fs.writeFileSync(`${dir('memory')}/memory.usage_in_bytes`, '4096\n');
  fs.writeFileSync(`${dir('memory')}/memory.memsw.usage_in_bytes`, '8192\n');
  fs.writeFileSync(`${dir('cpu,cpuacct')}/cpuacct.usage`, '3000\n');
  fs.writeFileSync(`${dir('cpu,cpuacct')}/cpuacct.usage_user`, '2000\n');
  fs.writeFileSync(`${dir('cpu,cpuacct')}/cpuacct.usage_sys`, '1000\n');
  fs.writeFileSync(`${dir('cpu,cpuacct')}/cpu.stat`, 'nr_periods 5\nnr_throttled 2\nthrottled_time 900\n');
  fs.writeFileSync(`${dir('pids')}/pids.current`, '2\n');
  fs.writeFileSync(`${dir('blkio')}/blkio.throttle.io_service_bytes_recursive`, '8:0 Read 100\n8:0 Write 200\n8:0 Total 300\nTotal 300\n');
  fs.writeFileSync(`${dir('blkio')}/blkio.throttle.io_serviced_recursive`, '8:0 Read 1\n8:0 Write 2\nTotal 3\n');
  assert.deepEqual(cg.stats(), {
    memory: { usage: 4096, limit: undefined, maxUsage: 0, failcnt: 0, oomKills: 3, swapUsage: 4096 },
    cpu: { usageTotal: 3000, usageUser: 2000, usageSystem: 1000, periods: 5, throttledPeriods: 2, throttledTime: 900 },
    pids: { current: 2, limit: undefined },
    blkio: { devices: [{ major: 8, minor: 0, readBytes: 100, writeBytes: 200, readOps: 1, writeOps: 2 }] },
  });
});

test('v1 destroy: every hierarchy, child cgroups first, idempotent; addProcess needs the cgroup', (t) => {
  const { fake, cg } = setup(t);
  cg.create();
  openCgroup('/hako/c1/a/b', { root: fake.root, io: fake }).create();
  cg.destroy();
  assert.equal(cg.exists(), false);
  assert.deepEqual(leftovers(fake.root, '/hako/c1'), []);
  cg.destroy();
  assertOneLineHakoError(() => cg.addProcess(5), /^cgroup: \/hako\/c1 does not exist under .* \(create it first\)$/);
});
