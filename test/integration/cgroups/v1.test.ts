// The v1 driver on this host's real cgroup v1 hierarchies (root needed). All cgroups live under
// /hako-test-<random> and are removed (processes killed first) in after hooks, also on failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { detectLayout, openCgroup } from '../../../src/cgroups/index.js';
import { HakoError } from '../../../src/util/errors.js';
import { procCpu, sleep, startInCgroup, testCgroups, waitFor, withTimeout } from './helpers.js';

const MiB = 1024 * 1024;
const layout = detectLayout();
const skip = process.getuid?.() !== 0 ? 'needs root' : layout === 'v2' ? 'host uses cgroup v2' : false;

describe('cgroup v1 driver on the real kernel', { skip }, () => {
  const { base, baseCg, cgroup, cleanup } = testCgroups(openCgroup);

  before(() => assert.equal(baseCg.exists(), false));
  after(async () => {
    await cleanup();
    for (const dir of Object.values(baseCg.dirs())) assert.equal(fs.existsSync(dir), false, `${dir} left behind`);
  });

  test('memory limit 50 MiB: a 100 MiB allocation is OOM-killed and oomKills() counts it', async () => {
    const cg = cgroup('oom');
    cg.create({ memory: { limit: 50 * MiB, swap: 50 * MiB } }); // memory+swap = memory: no swapping
    assert.equal(fs.readFileSync(`${cg.dirs().memory}/memory.limit_in_bytes`, 'utf8').trim(), String(50 * MiB));
    assert.equal(cg.oomKills(), 0);
    // dd allocates a 100 MiB buffer and fills it from /dev/zero.
    const p = startInCgroup(cg, 'exec /bin/busybox dd if=/dev/zero of=/dev/null bs=100M count=1');
    const { signal } = await withTimeout('dd to die', p.exited);
    assert.equal(signal, 'SIGKILL', `dd was not killed: ${p.stderr()}`);
    assert.ok(cg.oomKills() >= 1, `oomKills ${cg.oomKills()}`);
    const st = cg.stats();
    assert.ok(st.memory && st.memory.oomKills >= 1 && st.memory.limit === 50 * MiB, JSON.stringify(st.memory));
  });

  test('pids limit 10 stops a fork loop (EAGAIN)', async () => {
    const cg = cgroup('pids');
    cg.create({ pids: { limit: 10 } });
    const p = startInCgroup(cg, 'i=0; while [ $i -lt 30 ]; do /bin/busybox sleep 60 & i=$((i+1)); done; echo looped; exec /bin/busybox sleep 60');
    await waitFor('fork failure', () => /can't fork|Resource temporarily unavailable/.test(p.stderr()) || p.stdout().includes('looped'));
    assert.match(p.stderr(), /can't fork|Resource temporarily unavailable/);
    const events = fs.readFileSync(`${cg.dirs().pids}/pids.events`, 'utf8');
    assert.match(events, /^max [1-9]/m);
    const count = cg.pids().length;
    assert.ok(count >= 1 && count <= 10, `pids ${count}`);
    assert.ok((cg.stats().pids?.current ?? 99) <= 10);
    assert.equal(cg.stats().pids?.limit, 10);
    cg.killAll(9);
    await withTimeout('shell to die', p.exited);
    await waitFor('cgroup to empty', () => cg.pids().length === 0);
  });

  test('cpu quota 20000/100000 and shares land in cpu.cfs_quota_us / cpu.cfs_period_us / cpu.shares', () => {
    const cg = cgroup('cpu');
    cg.create({ cpu: { quota: 20000, period: 100000, shares: 512 } });
    const dir = cg.dirs().cpu!;
    assert.equal(fs.readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8').trim(), '20000');
    assert.equal(fs.readFileSync(`${dir}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
    assert.equal(fs.readFileSync(`${dir}/cpu.shares`, 'utf8').trim(), '512');
    // A new cpuset cgroup got its parent's cpus/mems, so processes can join it.
    assert.equal(fs.readFileSync(`${cg.dirs().cpuset}/cpuset.cpus`, 'utf8').trim(), fs.readFileSync('/sys/fs/cgroup/cpuset/cpuset.cpus', 'utf8').trim());
  });

  test('update() changes the memory limit of a live cgroup', async () => {
    const cg = cgroup('update');
    cg.create({ memory: { limit: 50 * MiB } });
    const p = startInCgroup(cg, 'exec /bin/busybox sleep 60');
    const file = `${cg.dirs().memory}/memory.limit_in_bytes`;
    assert.equal(fs.readFileSync(file, 'utf8').trim(), String(50 * MiB));
    cg.update({ memory: { limit: 80 * MiB } });
    assert.equal(fs.readFileSync(file, 'utf8').trim(), String(80 * MiB));
    cg.update({ memory: { limit: 40 * MiB, swap: 60 * MiB } }); // memsw exists here: order matters
    assert.equal(fs.readFileSync(file, 'utf8').trim(), String(40 * MiB));
    assert.equal(fs.readFileSync(`${cg.dirs().memory}/memory.memsw.limit_in_bytes`, 'utf8').trim(), String(60 * MiB));
    assert.deepEqual(cg.pids(), [p.pid]);
    cg.killAll(9);
    await withTimeout('sleep to die', p.exited);
  });

  test('freeze() stops a busy process, thaw() resumes it; pids() lists it', async () => {
    const cg = cgroup('freeze');
    cg.create();
    const p = startInCgroup(cg, 'while :; do :; done');
    await waitFor('the loop to use CPU', () => procCpu(p.pid).ticks > 0);
    assert.deepEqual(cg.pids(), [p.pid]);
    cg.freeze();
    assert.equal(cg.state(), 'frozen');
    assert.equal(fs.readFileSync(`${cg.dirs().freezer}/freezer.state`, 'utf8').trim(), 'FROZEN');
    const frozenAt = procCpu(p.pid).ticks;
    await sleep(300);
    assert.equal(procCpu(p.pid).ticks, frozenAt, 'a frozen process accumulated CPU time');
    cg.thaw();
    assert.equal(cg.state(), 'thawed');
    await waitFor('the loop to run again', () => procCpu(p.pid).ticks > frozenAt);
    cg.killAll(9);
    const { signal } = await withTimeout('loop to die', p.exited);
    assert.equal(signal, 'SIGKILL');
    assert.equal(cg.state(), 'thawed'); // killAll froze around the kill and thawed again
  });

  test('stats() reports CPU time of a process that ran in the cgroup', async () => {
    const cg = cgroup('stats');
    cg.create();
    const p = startInCgroup(cg, 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done');
    await withTimeout('loop to finish', p.exited);
    const st = cg.stats();
    assert.ok(st.cpu && st.cpu.usageTotal > 0 && st.cpu.usageUser + st.cpu.usageSystem > 0, JSON.stringify(st.cpu));
    // Memory of a process that joins later stays charged to its old cgroup on v1: only presence here.
    assert.ok(st.memory && st.pids && st.pids.current === 0, JSON.stringify(st));
  });

  test('devices: default deny plus allows; /dev/null usable, /dev/kmsg refused unless a rule allows it', async () => {
    const script = 'echo x > /dev/null && echo null-ok; /bin/busybox head -c 1 /dev/kmsg >/dev/null 2>&1 && echo kmsg-ok || echo kmsg-denied';
    // Control: outside any device cgroup, /dev/kmsg (c 1:11) is readable on this host.
    assert.match(execFileSync('/bin/busybox', ['sh', '-c', script]).toString(), /null-ok\nkmsg-ok/);
    const cg = cgroup('devices');
    cg.create({ devices: [{ allow: false, access: 'rwm' }] });
    const list = fs.readFileSync(`${cg.dirs().devices}/devices.list`, 'utf8');
    assert.match(list, /^c 1:3 rwm$/m);
    assert.doesNotMatch(list, /^a \*:\* rwm$/m);
    const p = startInCgroup(cg, script);
    await withTimeout('shell', p.exited);
    assert.match(p.stdout(), /null-ok\nkmsg-denied/);
    // The same with a config rule allowing reads of c 1:11.
    const allowed = cgroup('devices-allowed');
    allowed.create({
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
      ],
    });
    const q = startInCgroup(allowed, script);
    await withTimeout('shell', q.exited);
    assert.match(q.stdout(), /null-ok\nkmsg-ok/);
  });

  test('a bad value gives one line naming resource and file, and leaves no directory behind', () => {
    const cg = cgroup('bad');
    assert.throws(
      () => cg.create({ memory: { limit: 10 * MiB }, cpu: { cpus: '99-100' } }),
      (e: unknown) => {
        assert.ok(e instanceof HakoError);
        assert.match(e.message, new RegExp(`^cgroup cpuset: writing '99-100' to /sys/fs/cgroup/cpuset${base}/bad/cpuset\\.cpus: [A-Z][a-z ]+$`));
        return true;
      },
    );
    for (const dir of Object.values(cg.dirs())) assert.equal(fs.existsSync(dir), false, `${dir} left behind`);
  });

  test('a controller that is not mounted is named', () => {
    const cg = cgroup('missing');
    assert.throws(
      () => cg.create({ network: { classID: 0x100001 } }),
      /HakoError: cgroup net_cls: controller is not mounted under \/sys\/fs\/cgroup \(needed for linux\.resources\.network\.classID\)$/,
    );
    assert.equal(cg.exists(), false);
  });

  test('destroy() removes the cgroup (and child cgroups) in every hierarchy', () => {
    const cg = cgroup('destroy');
    cg.create({ memory: { limit: 20 * MiB }, pids: { limit: 5 } });
    openCgroup(`${base}/destroy/inner`).create();
    assert.equal(cg.exists(), true);
    cg.destroy();
    assert.equal(cg.exists(), false);
    for (const dir of Object.values(cg.dirs())) assert.equal(fs.existsSync(dir), false, `${dir} left behind`);
  });
});
