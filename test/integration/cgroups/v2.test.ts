// The v2 driver with its resource controllers, on a pure cgroup v2 host (root needed): limits that
// the kernel enforces on processes inside, the files they land in, update(), stats(), errors.
// This machine is v1 hybrid, where the file is skipped; scripts/test-vm.sh runs it in a v2 VM.
// All cgroups live under /hako-test-<random> and are removed (processes killed first) afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { convertSharesToWeight, detectLayout, openCgroup, type Cgroup } from '../../../src/cgroups/index.js';
import { HakoError } from '../../../src/util/errors.js';
import { startInCgroup, testCgroups, waitFor, withTimeout } from './helpers.js';

const MiB = 1024 * 1024;
const ROOT = '/sys/fs/cgroup';
const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : detectLayout() !== 'v2'
      ? `this host is cgroup ${detectLayout()}, not pure v2 (scripts/test-vm.sh runs this file in a v2 VM)`
      : false;

describe('cgroup v2 driver with controllers on a pure v2 host', { skip }, () => {
  const { base, baseCg, cgroup, cleanup } = testCgroups(openCgroup);
  const read = (cg: Cgroup, file: string): string => fs.readFileSync(`${cg.dirs()['']}/${file}`, 'utf8').trim();

  before(() => assert.equal(baseCg.exists(), false));
  after(async () => {
    await cleanup();
    assert.equal(fs.existsSync(`${ROOT}${base}`), false, `${ROOT}${base} left behind`);
  });

  test('memory.max 50 MiB without swap: a 100 MiB allocation is OOM-killed, memory.events counts it', async () => {
    const cg = cgroup('oom');
    cg.create({ memory: { limit: 50 * MiB, swap: 50 * MiB } }); // memory+swap = memory: no swap
    assert.equal(read(cg, 'memory.max'), String(50 * MiB));
    if (fs.existsSync(`${cg.dirs()['']}/memory.swap.max`)) assert.equal(read(cg, 'memory.swap.max'), '0');
    assert.equal(cg.oomKills(), 0);
    const p = startInCgroup(cg, 'exec /bin/busybox dd if=/dev/zero of=/dev/null bs=100M count=1');
    const { signal } = await withTimeout('dd to die', p.exited, 60_000);
    assert.equal(signal, 'SIGKILL', `dd was not killed: ${p.stderr()}`);
    assert.match(read(cg, 'memory.events'), /^oom_kill [1-9]/m);
    assert.ok(cg.oomKills() >= 1, `oomKills ${cg.oomKills()}`);
    const st = cg.stats();
    assert.ok(st.memory && st.memory.oomKills >= 1 && st.memory.limit === 50 * MiB && (st.memory.failcnt ?? 0) >= 1, JSON.stringify(st.memory));
  });

  test('pids.max 10 stops a fork loop (EAGAIN); pids.events counts the refusals', async () => {
    const cg = cgroup('pids');
    cg.create({ pids: { limit: 10 } });
    assert.equal(read(cg, 'pids.max'), '10');
    // The shell gives up at the first refused fork (and exits): "looped" means no limit held.
    const p = startInCgroup(cg, 'i=0; while [ $i -lt 30 ]; do /bin/busybox sleep 600 & i=$((i+1)); done; echo looped; exec /bin/busybox sleep 600');
    await waitFor('a refused fork', () => /can't fork|Resource temporarily unavailable/.test(p.stderr()) || p.stdout().includes('looped'), 60_000);
    assert.match(p.stderr(), /can't fork|Resource temporarily unavailable/);
    assert.doesNotMatch(p.stdout(), /looped/);
    assert.notEqual((await withTimeout('the shell to give up', p.exited)).code, 0);
    assert.match(read(cg, 'pids.events'), /^max [1-9]/m);
    const count = cg.pids().length; // the sleeps that were forked
    assert.ok(count >= 1 && count < 10, `pids ${count}`);
    assert.deepEqual(cg.stats().pids, { current: count, limit: 10 });
    cg.killAll(9);
    await waitFor('cgroup to empty', () => cg.pids().length === 0);
  });

  test('cpu quota and shares land in cpu.max and cpu.weight; a quota throttles a busy loop', async () => {
    const cg = cgroup('cpu');
    cg.create({ cpu: { quota: 10000, period: 100000, shares: 512 } });
    assert.equal(read(cg, 'cpu.max'), '10000 100000');
    assert.equal(read(cg, 'cpu.weight'), String(convertSharesToWeight(512)));
    // cpuset: a new cgroup has no cpus of its own and uses its parent's.
    assert.equal(read(cg, 'cpuset.cpus.effective'), fs.readFileSync(`${ROOT}/cpuset.cpus.effective`, 'utf8').trim());
    const p = startInCgroup(cg, 'while :; do :; done');
    await waitFor('throttling', () => Number(/^nr_throttled (\d+)$/m.exec(read(cg, 'cpu.stat'))?.[1] ?? 0) >= 3, 30_000);
    const st = cg.stats().cpu!;
    assert.ok(st.throttledPeriods >= 3 && st.throttledTime > 0 && st.periods >= st.throttledPeriods, JSON.stringify(st));
    cg.killAll(9);
    await withTimeout('loop to die', p.exited);
  });

  test('update() changes memory.max and memory.swap.max of a live cgroup; checkBeforeUpdate refuses a limit below usage', async () => {
    const cg = cgroup('update');
    cg.create({ memory: { limit: 50 * MiB } });
    const p = startInCgroup(cg, 'exec /bin/busybox sleep 600');
    cg.update({ memory: { limit: 80 * MiB } });
    assert.equal(read(cg, 'memory.max'), String(80 * MiB));
    const hasSwap = fs.existsSync(`${cg.dirs()['']}/memory.swap.max`);
    if (hasSwap) {
      cg.update({ memory: { limit: 40 * MiB, swap: 60 * MiB } }); // OCI swap is memory+swap: 20 MiB of swap
      assert.equal(read(cg, 'memory.max'), String(40 * MiB));
      assert.equal(read(cg, 'memory.swap.max'), String(20 * MiB));
    }
    const usage = Number(read(cg, 'memory.current'));
    assert.ok(usage > 4096, `memory.current ${usage}`);
    assert.throws(
      () => cg.update({ memory: { limit: 4096, checkBeforeUpdate: true } }),
      /^HakoError: cgroup memory: new limit 4096 is below the current usage \d+/,
    );
    assert.deepEqual(cg.pids(), [p.pid]);
    cg.killAll(9);
    await withTimeout('sleep to die', p.exited);
  });

  test('unified: a file written as is; a file the kernel does not have is named', () => {
    const cg = cgroup('unified');
    cg.create({ unified: { 'memory.high': String(30 * MiB), 'pids.max': '7' } });
    assert.equal(read(cg, 'memory.high'), String(30 * MiB));
    assert.equal(read(cg, 'pids.max'), '7');
    assert.throws(
      () => cg.update({ unified: { 'memory.nosuchfile': '1' } }),
      /^HakoError: cgroup unified: \/sys\/fs\/cgroup\/hako-test-[0-9a-f]+\/unified\/memory\.nosuchfile does not exist/,
    );
  });

  test('a process in an inner cgroup keeps its controllers from its children ("no internal processes"): the refusal is named', async () => {
    const cg = cgroup('busy');
    cg.create();
    const p = startInCgroup(cg, 'exec /bin/busybox sleep 600');
    const leaf = cgroup('busy/leaf');
    // The kernel's words: EBUSY for a domain controller in a cgroup with processes; but the driver
    // enables controllers one by one after a refused batch, and once a threaded one (cpuset, cpu,
    // pids) is on, the cgroup is a "thread root" and memory is refused with EOPNOTSUPP (6.1). The
    // driver adds the reason.
    assert.throws(
      () => leaf.create({ memory: { limit: 10 * MiB } }),
      /^HakoError: cgroup memory: controller not available in \/sys\/fs\/cgroup\/hako-test-[0-9a-f]+\/busy\/leaf \(needed for linux\.resources\.memory\): writing '\+memory' to (\S+)\/busy\/cgroup\.subtree_control: (Device or resource busy|Operation not supported) \(\1\/busy holds processes, and cgroup v2 gives controllers only to the children of a cgroup without any\)$/,
    );
    assert.equal(leaf.exists(), false, 'the leaf is removed again');
    cg.killAll(9);
    await withTimeout('sleep to die', p.exited);
  });

  test('stats() of a process that ran: CPU time, memory and pids sections', async () => {
    const cg = cgroup('stats');
    cg.create();
    const p = startInCgroup(cg, 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done');
    await withTimeout('loop to finish', p.exited, 60_000);
    const st = cg.stats();
    assert.ok(st.cpu && st.cpu.usageTotal > 0 && st.cpu.usageUser + st.cpu.usageSystem > 0, JSON.stringify(st.cpu));
    assert.ok(st.memory && st.memory.limit === undefined && st.memory.oomKills === 0, JSON.stringify(st.memory));
    assert.deepEqual(st.pids, { current: 0, limit: undefined });
  });

  test('a bad value gives one line naming resource and file, and leaves no directory behind', () => {
    const cg = cgroup('bad');
    assert.throws(
      () => cg.create({ memory: { limit: 10 * MiB }, cpu: { cpus: '99-100' } }),
      (e: unknown) => {
        assert.ok(e instanceof HakoError);
        assert.match(e.message, new RegExp(`^cgroup cpuset: writing '99-100' to /sys/fs/cgroup${base}/bad/cpuset\\.cpus: [A-Z][a-z ]+$`));
        return true;
      },
    );
    assert.equal(cg.exists(), false);
  });

  test('destroy() removes the cgroup and its child cgroups', () => {
    const cg = cgroup('destroy');
    cg.create({ memory: { limit: 20 * MiB }, pids: { limit: 5 } });
    openCgroup(`${base}/destroy/inner`).create({ pids: { limit: 2 } });
    cg.destroy();
    assert.equal(cg.exists(), false);
  });
});
