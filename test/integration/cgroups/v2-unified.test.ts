// The v2 driver's core on a real cgroup2 filesystem: mkdir/rmdir, cgroup.procs, cgroup.freeze +
// cgroup.events, cgroup.kill, cgroup.controllers/subtree_control. On this hybrid host that is the
// cgroup2 mount at /sys/fs/cgroup/unified, which has (almost) no controllers; on a pure v2 host
// (scripts/test-vm.sh runs this file in a v2 VM) it is /sys/fs/cgroup itself, and v2.test.ts adds
// the resource controllers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { detectLayout, openCgroup, type Cgroup } from '../../../src/cgroups/index.js';
import { cleanupCgroup, procCpu, sleep, startInCgroup, testBase, waitFor, withTimeout } from './helpers.js';

const layout = detectLayout();
const ROOT = layout === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : layout === 'v1' || !fs.existsSync(`${ROOT}/cgroup.controllers`)
      ? 'no cgroup2 mount: neither a v2 host nor /sys/fs/cgroup/unified'
      : false;

describe(`cgroup v2 driver on the real cgroup2 mount at ${ROOT}`, { skip }, () => {
  const base = testBase();
  const open = (p: string): Cgroup => openCgroup(p, { root: ROOT, layout: 'v2' });
  const baseCg = open(base);
  let subtreeBefore = '';

  before(() => {
    subtreeBefore = fs.readFileSync(`${ROOT}/cgroup.subtree_control`, 'utf8').trim();
  });
  after(async () => {
    await cleanupCgroup(baseCg);
    assert.equal(fs.existsSync(`${ROOT}${base}`), false);
    // create() enabled the root's controllers in its subtree_control: put it back as it was.
    const now = fs.readFileSync(`${ROOT}/cgroup.subtree_control`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const was = new Set(subtreeBefore.split(/\s+/).filter(Boolean));
    for (const c of now) if (!was.has(c)) fs.writeFileSync(`${ROOT}/cgroup.subtree_control`, `-${c}`);
  });

  test('create, addProcess, pids, freeze via cgroup.freeze/cgroup.events, thaw, killAll via cgroup.kill, destroy', async () => {
    const cg = open(`${base}/c1`);
    cg.create();
    assert.equal(cg.version, 2);
    assert.equal(fs.existsSync(`${ROOT}${base}/c1/cgroup.freeze`), true);
    const p = startInCgroup(cg, 'while :; do :; done');
    assert.deepEqual(cg.pids(), [p.pid]);
    assert.match(fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8'), new RegExp(`^0::${base}/c1$`, 'm'));
    await waitFor('the loop to use CPU', () => procCpu(p.pid).ticks > 0);
    cg.freeze();
    assert.equal(cg.state(), 'frozen');
    assert.match(fs.readFileSync(`${ROOT}${base}/c1/cgroup.events`, 'utf8'), /^frozen 1$/m);
    const at = procCpu(p.pid).ticks;
    await sleep(300);
    assert.equal(procCpu(p.pid).ticks, at, 'a frozen process accumulated CPU time');
    cg.thaw();
    assert.equal(cg.state(), 'thawed');
    await waitFor('the loop to run again', () => procCpu(p.pid).ticks > at);
    cg.killAll(9);
    const { signal } = await withTimeout('loop to die', p.exited);
    assert.equal(signal, 'SIGKILL');
    await waitFor('cgroup to empty', () => cg.pids().length === 0);
    cg.destroy();
    assert.equal(cg.exists(), false);
  });

  const hasMemory = skip === false && fs.readFileSync(`${ROOT}/cgroup.controllers`, 'utf8').split(/\s+/).includes('memory');
  test('a controller the tree does not have is named, and nothing is left behind', {
    skip: hasMemory && `${ROOT} has every controller (v2.test.ts tests a refused one)`,
  }, () => {
    const cg = open(`${base}/nomem`);
    assert.throws(
      () => cg.create({ memory: { limit: 1 << 20 } }),
      /HakoError: cgroup memory: controller not available in \/sys\/fs\/cgroup\/unified\/hako-test-[0-9a-f]+\/nomem \(needed for linux\.resources\.memory\)/,
    );
    assert.equal(cg.exists(), false);
  });

  const hasHugetlb = skip === false && fs.readFileSync(`${ROOT}/cgroup.controllers`, 'utf8').split(/\s+/).includes('hugetlb');
  test("hugetlb (the one controller on the hybrid host's mount): delegated through the ancestors, hugetlb.2MB.max written", {
    skip: hasHugetlb ? false : 'no hugetlb on the cgroup2 mount',
  }, () => {
    const cg = open(`${base}/huge/leaf`);
    cg.create({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
    assert.match(fs.readFileSync(`${ROOT}/cgroup.subtree_control`, 'utf8'), /\bhugetlb\b/);
    assert.match(fs.readFileSync(`${ROOT}${base}/huge/cgroup.controllers`, 'utf8'), /\bhugetlb\b/);
    assert.equal(fs.readFileSync(`${ROOT}${base}/huge/leaf/hugetlb.2MB.max`, 'utf8').trim(), String(4 << 20));
    cg.update({ hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] });
    assert.equal(fs.readFileSync(`${ROOT}${base}/huge/leaf/hugetlb.2MB.max`, 'utf8').trim(), String(2 << 20));
    open(`${base}/huge`).destroy();
    assert.equal(cg.exists(), false);
  });

  test('stats() reports CPU time from cpu.stat (a core file: there without any controller too)', async () => {
    const cg = open(`${base}/stats`);
    cg.create();
    const p = startInCgroup(cg, 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done');
    await withTimeout('loop to finish', p.exited);
    const st = cg.stats();
    assert.equal(st.memory === undefined, !hasMemory, JSON.stringify(st));
    assert.ok(st.cpu && st.cpu.usageTotal > 0, JSON.stringify(st));
    cg.destroy();
  });
});
