// The v2 driver against the fake cgroupfs (fakefs.ts). This host runs cgroup v1, so these tests
// plus the controller-less integration tests on /sys/fs/cgroup/unified are all the v2 coverage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openCgroup, type Cgroup } from '../../../src/cgroups/index.js';
import type { Resources } from '../../../src/oci/types.js';
import { assertOneLineHakoError, FakeCgroup2, type FakeV2Options } from './fakefs.js';

const MiB = 1024 * 1024;

function setup(t: { after: (fn: () => void) => void }, path = '/hako/c1', opts: FakeV2Options = {}) {
  const fake = new FakeCgroup2(opts);
  t.after(() => fake.cleanup());
  const warnings: string[] = [];
  const cg = openCgroup(path, { root: fake.root, layout: 'v2', io: fake, warn: (m) => warnings.push(m) });
  const file = (name: string, p = path): string => fs.readFileSync(`${fake.root}${p}/${name}`, 'utf8').trim();
  return { fake, cg, warnings, file, dir: `${fake.root}${path}` };
}

test('v2 create: mkdir -p, controllers enabled in every ancestor, leaf gets the controller files', (t) => {
  const { fake, cg, file } = setup(t);
  assert.equal(cg.version, 2);
  assert.equal(cg.exists(), false);
  cg.create();
  assert.equal(cg.exists(), true);
  assert.deepEqual(cg.dirs(), { '': `${fake.root}/hako/c1` });
  const all = 'cpuset cpu io memory hugetlb pids rdma';
  assert.deepEqual(file('cgroup.subtree_control', '').split(' ').sort(), all.split(' ').sort());
  assert.deepEqual(file('cgroup.subtree_control', '/hako').split(' ').sort(), all.split(' ').sort());
  assert.equal(file('cgroup.subtree_control'), ''); // the leaf delegates nothing itself
  assert.equal(file('memory.max'), 'max');
  assert.equal(file('pids.max'), 'max');
});

test('v2 create: every resource lands in the right file with runc conversions', (t) => {
  const { cg, file } = setup(t);
  const r: Resources = {
    memory: { limit: 50 * MiB, swap: 80 * MiB, reservation: 20 * MiB },
    cpu: { shares: 1024, quota: 20000, period: 100000, burst: 5000, idle: 0, cpus: '0-1', mems: '0' },
    pids: { limit: 10 },
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 0 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2 * MiB }],
    rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 1000 } },
    unified: { 'memory.high': String(40 * MiB) },
  };
  cg.create(r);
  assert.equal(file('memory.max'), String(50 * MiB));
  assert.equal(file('memory.swap.max'), String(30 * MiB)); // memory+swap 80 - memory 50
  assert.equal(file('memory.low'), String(20 * MiB));
  assert.equal(file('memory.high'), String(40 * MiB));
  assert.equal(file('cpu.weight'), '39');
  assert.equal(file('cpu.max'), '20000 100000');
  assert.equal(file('cpu.max.burst'), '5000');
  assert.equal(file('cpu.idle'), '0');
  assert.equal(file('cpuset.cpus'), '0-1');
  assert.equal(file('cpuset.mems'), '0');
  assert.equal(file('pids.max'), '10');
  assert.equal(file('io.weight'), 'default 4950\n8:0 10000');
  assert.equal(file('io.max'), '8:0 rbps=1048576 wiops=100\n8:16 wbps=max');
  assert.equal(file('hugetlb.2MB.max'), String(8 * MiB));
  assert.equal(file('hugetlb.2MB.rsvd.max'), String(8 * MiB));
  assert.equal(file('rdma.max'), 'mlx5_0 hca_handle=3 hca_object=1000');
});

test('v2 write order: memory.swap.max before memory.max, unified last', (t) => {
  const { fake, cg, dir } = setup(t);
  cg.create({ memory: { limit: 50 * MiB, swap: 50 * MiB }, unified: { 'memory.max': 'max' } });
  assert.deepEqual(fake.writesUnder(`${dir}/`), ['memory.swap.max=0', `memory.max=${50 * MiB}`, 'memory.max=max']);
});

test('v2 cpu.max forms: quota only keeps the period, period only means "max period", -1 quota is max', (t) => {
  const { cg, file } = setup(t);
  cg.create({ cpu: { quota: 30000 } });
  assert.equal(file('cpu.max'), '30000 100000');
  cg.update({ cpu: { period: 50000 } });
  assert.equal(file('cpu.max'), 'max 50000');
  cg.update({ cpu: { quota: -1, period: 200000 } });
  assert.equal(file('cpu.max'), 'max 200000');
});

test('v2 pids.limit 0 and -1 mean max', (t) => {
  const { cg, file } = setup(t);
  cg.create({ pids: { limit: 5 } });
  cg.update({ pids: { limit: 0 } });
  assert.equal(file('pids.max'), 'max');
  cg.update({ pids: { limit: 7 } });
  cg.update({ pids: { limit: -1 } });
  assert.equal(file('pids.max'), 'max');
});

test('v2 BFQ: io.bfq.weight takes the v1 weight unconverted', (t) => {
  const { cg, file } = setup(t, '/hako/c1', { bfq: true });
  cg.create({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
  assert.equal(file('io.bfq.weight'), 'default 500\n8:0 200');
  assert.equal(file('io.weight'), 'default 100');
});

test('v2 bad value: one-line error naming resource, file and kernel error; nothing left behind', (t) => {
  const { fake, cg } = setup(t, '/hako/x');
  assertOneLineHakoError(
    () => cg.create({ cpu: { cpus: '99-100' } }),
    new RegExp(`^cgroup cpuset: writing '99-100' to ${fake.root}/hako/x/cpuset\\.cpus: Invalid argument$`),
  );
  assert.equal(fs.existsSync(`${fake.root}/hako`), false);
  assert.equal(cg.exists(), false);
});

test('v2 failure keeps ancestors that existed before', (t) => {
  const { fake, cg } = setup(t, '/hako/x');
  openCgroup('/hako', { root: fake.root, layout: 'v2', io: fake }).create();
  assertOneLineHakoError(() => cg.create({ cpu: { shares: 1024, quota: 10 } }), /^cgroup cpu: writing '10' to .*\/hako\/x\/cpu\.max: Invalid argument$/);
  assert.equal(fs.existsSync(`${fake.root}/hako`), true);
  assert.equal(fs.existsSync(`${fake.root}/hako/x`), false);
});

test('v2 missing controller: error names it and the config field; nothing created', (t) => {
  const { fake, cg } = setup(t, '/hako/x', { controllers: ['cpu', 'pids'] });
  assertOneLineHakoError(
    () => cg.create({ memory: { limit: MiB } }),
    /^cgroup memory: controller not available in .*\/hako\/x \(needed for linux\.resources\.memory\)/,
  );
  assertOneLineHakoError(
    () => cg.create({ unified: { 'io.max': '8:0 rbps=1' } }),
    /^cgroup io: controller not available .*linux\.resources\.unified\["io\.max"\]/,
  );
  assert.equal(fs.existsSync(`${fake.root}/hako`), false);
});

test('v2 "no internal processes": a parent holding processes cannot delegate; the refusal is reported', (t) => {
  const { fake, cg } = setup(t, '/busy/c');
  const busy = openCgroup('/busy', { root: fake.root, layout: 'v2', io: fake });
  busy.create();
  busy.addProcess(4242); // the fake records pids; no process is moved
  assertOneLineHakoError(
    () => cg.create({ pids: { limit: 3 } }),
    /^cgroup pids: controller not available in .*\/busy\/c .*writing '\+pids' to .*\/busy\/cgroup\.subtree_control: Device or resource busy \(\S+\/busy holds processes, and cgroup v2 gives controllers only to the children of a cgroup without any\)$/,
  );
  assert.equal(fs.existsSync(`${fake.root}/busy/c`), false);
  assert.equal(busy.exists(), true);
});

test('v2 things v2 cannot do: network, realtime, device rules v1 would ignore; bad unified keys', (t) => {
  const { fake, cg } = setup(t, '/hako/x');
  assertOneLineHakoError(() => cg.create({ network: { classID: 1 } }), /^cgroup net_cls\/net_prio: .*cgroup v2 does not have/);
  assertOneLineHakoError(() => cg.create({ cpu: { realtimeRuntime: 1000 } }), /^cgroup cpu: realtimeRuntime\/realtimePeriod are not supported on cgroup v2/);
  // Device rules are an eBPF program now (devices-bpf.test.ts); only rules that cannot mean what
  // they say are refused.
  assertOneLineHakoError(
    () =>
      cg.create({
        devices: [
          { allow: true, type: 'c', access: 'rwm' },
          { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
        ],
      }),
    /^cgroup devices: rule "c 10:229 rwm" \(deny\) cannot punch a hole/,
  );
  assertOneLineHakoError(() => cg.create({ unified: { '../x': '1' } }), /^cgroup unified: '\.\.\/x' is not a cgroup file name/);
  assertOneLineHakoError(() => cg.create({ unified: { 'memory.nonexistent': '1' } }), /^cgroup unified: .*\/hako\/x\/memory\.nonexistent does not exist/);
  assert.equal(fs.existsSync(`${fake.root}/hako`), false);
});

test('v2 device rules (deny all, runc defaults, others) are accepted', (t) => {
  const { cg } = setup(t);
  cg.create({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
    ],
  });
  assert.equal(cg.exists(), true);
});

test('v2 kernel memory, swappiness, disableOOMKiller, leafWeight: warnings, not failures', (t) => {
  const { cg, warnings } = setup(t);
  cg.create({ memory: { limit: MiB, kernel: MiB, kernelTCP: MiB, swappiness: 10, disableOOMKiller: true }, blockIO: { leafWeight: 100 } });
  assert.equal(warnings.length, 5);
  assert.match(warnings.join('|'), /memory\.kernel ignored.*kernelTCP ignored.*swappiness ignored.*disableOOMKiller ignored.*leafWeight ignored/);
});

test('v2 without swap accounting: "no swap" and "unlimited" are fine, a real swap limit is an error', (t) => {
  const { cg, file } = setup(t, '/hako/x', { swap: false });
  cg.create({ memory: { limit: 10 * MiB, swap: 10 * MiB } });
  assert.equal(file('memory.max'), String(10 * MiB));
  cg.update({ memory: { limit: -1 } });
  assert.equal(file('memory.max'), 'max');
  assertOneLineHakoError(
    () => cg.update({ memory: { limit: 10 * MiB, swap: 20 * MiB } }),
    /^cgroup memory: writing '10485760' to .*memory\.swap\.max: No such file or directory$/,
  );
});

test('v2 update and checkBeforeUpdate', (t) => {
  const { cg, file, dir } = setup(t);
  cg.create({ memory: { limit: 50 * MiB } });
  cg.update({ memory: { limit: 60 * MiB } });
  assert.equal(file('memory.max'), String(60 * MiB));
  fs.writeFileSync(`${dir}/memory.current`, `${30 * MiB}\n`);
  assertOneLineHakoError(() => cg.update({ memory: { limit: 20 * MiB, checkBeforeUpdate: true } }), /new limit 20971520 is below the current usage 31457280/);
  assert.equal(file('memory.max'), String(60 * MiB));
});

test('v2 processes: addProcess, recursive pids(), freeze/thaw via cgroup.freeze + cgroup.events, killAll via cgroup.kill', async (t) => {
  const { fake, cg, file } = setup(t);
  cg.create();
  cg.addProcess(1001);
  const sub = openCgroup('/hako/c1/sub', { root: fake.root, layout: 'v2', io: fake });
  sub.create();
  sub.addProcess(1002);
  assert.deepEqual(cg.pids().sort(), [1001, 1002]);
  assert.equal(cg.state(), 'thawed');
  cg.freeze();
  assert.equal(file('cgroup.freeze'), '1');
  assert.equal(cg.state(), 'frozen');
  cg.thaw();
  assert.equal(cg.state(), 'thawed');
  await cg.freezeAsync();
  assert.equal(cg.state(), 'frozen');
  await cg.thawAsync();
  assert.equal(cg.state(), 'thawed');
  cg.killAll(9);
  assert.deepEqual(cg.pids(), [1002]); // fake cgroup.kill only empties this level: see fakefs.ts
  assertOneLineHakoError(() => cg.addProcess(Number.NaN), /^cgroup procs: writing 'NaN' to .*cgroup\.procs: Invalid argument$/);
});

test('v2 destroy: removes child cgroups too, is idempotent, refuses while processes remain', async (t) => {
  const { fake, cg } = setup(t);
  cg.create();
  openCgroup('/hako/c1/a/b', { root: fake.root, layout: 'v2', io: fake }).create();
  cg.destroy();
  assert.equal(cg.exists(), false);
  assert.equal(fs.existsSync(`${fake.root}/hako`), true); // parents are shared: left alone
  cg.destroy(); // missing is fine
  cg.create();
  cg.addProcess(77);
  assertOneLineHakoError(() => cg.destroy(), /^cgroup v2: removing .*\/hako\/c1: Device or resource busy$/);
  // The library's variant: the same removal and the same error, its EBUSY retries on timers.
  await assert.rejects(cg.destroyAsync(), /^HakoError: cgroup v2: removing .*\/hako\/c1: Device or resource busy$/);
  const other = openCgroup('/hako/c2/a', { root: fake.root, layout: 'v2', io: fake });
  other.create();
  await openCgroup('/hako/c2', { root: fake.root, layout: 'v2', io: fake }).destroyAsync();
  assert.equal(other.exists(), false);
});

test('v2 stats and oomKills parse the kernel files', (t) => {
  const { cg, dir } = setup(t);
  cg.create();
  const put = (f: string, c: string): void => fs.writeFileSync(`${dir}/${f}`, c);
  put('memory.current', '1048576\n');
  put('memory.max', '2097152\n');
  put('memory.peak', '1500000\n');
  put('memory.events', 'low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n');
  put('memory.swap.current', '4096\n');
  put('cpu.stat', 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 3\nthrottled_usec 250\n');
  put('pids.current', '4\n');
  put('io.stat', '8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n');
  assert.equal(cg.oomKills(), 2);
  assert.deepEqual(cg.stats(), {
    memory: { usage: 1048576, limit: 2097152, maxUsage: 1500000, failcnt: 7, oomKills: 2, swapUsage: 4096 },
    cpu: { usageTotal: 1_500_000, usageUser: 1_000_000, usageSystem: 500_000, periods: 10, throttledPeriods: 3, throttledTime: 250_000 },
    pids: { current: 4, limit: undefined },
    blkio: { devices: [{ major: 8, minor: 0, readBytes: 100, writeBytes: 200, readOps: 3, writeOps: 4 }] },
  });
});

test('openCgroup refuses relative and root paths', (t) => {
  const fake = new FakeCgroup2();
  t.after(() => fake.cleanup());
  assert.throws(() => openCgroup('hako/x', { root: fake.root, io: fake }), /must be absolute/);
  assert.throws(() => openCgroup('/', { root: fake.root, io: fake }), /root cgroup/);
  const cg: Cgroup = openCgroup('/x', { root: fake.root, io: fake }); // layout detected from the tree
  assert.equal(cg.version, 2);
});
