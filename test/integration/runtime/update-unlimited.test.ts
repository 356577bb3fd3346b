// `update --memory-swap -1` and `--cpu-quota -1` (what `docker update` sends for "unlimited") are
// values, as runc reads them, not ambiguous flags. A runc container with the same limits gets the
// same update in the same test, and its cgroup files must read the same.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, NO_RUNC, RUNC, type Result } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

const V1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
type Runtime = 'hako' | 'runc';
const cli = (rt: Runtime, args: string[]): Result => (rt === 'hako' ? h.hako(args) : h.runc(args));

/** The limit files the update changes, as read after it: [memory+swap or swap, cpu quota]. */
function limits(cgroupsPath: string): string[] {
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : 'absent');
  if (V1) return [read(`/sys/fs/cgroup/memory${cgroupsPath}/memory.memsw.limit_in_bytes`), read(`/sys/fs/cgroup/cpu${cgroupsPath}/cpu.cfs_quota_us`)];
  return [read(`/sys/fs/cgroup${cgroupsPath}/memory.swap.max`), read(`/sys/fs/cgroup${cgroupsPath}/cpu.max`)];
}

/** Runs a container with limits under `rt`, updates it to unlimited, and returns the files. */
function updatedLimits(rt: Runtime): string[] {
  const id = h.id(rt);
  const cgroupsPath = `/hako-test-update-${id}`;
  const bundle = h.bundle(['sleep', '60'], (s) => {
    s.linux!.cgroupsPath = cgroupsPath;
    s.linux!.resources = { memory: { limit: 64 << 20, swap: 128 << 20 }, cpu: { quota: 20000, period: 100000 } };
  });
  const r = rt === 'hako' ? h.hakoDetached(['run', '-d', '--bundle', bundle, id]) : h.runcDetached(['run', '-d', '--bundle', bundle, id]);
  assert.equal(r.status, 0, r.stderr);
  try {
    const u = cli(rt, ['update', '--memory-swap', '-1', '--cpu-quota', '-1', id]);
    assert.equal(u.status, 0, `${rt}: ${u.stderr}`);
    return limits(cgroupsPath);
  } finally {
    cli(rt, ['delete', '--force', id]);
  }
}

describe('update with -1 for unlimited', () => {
  it('--memory-swap -1 and --cpu-quota -1 lift the limits, as with runc', (t) => {
    const [swap, quota] = updatedLimits('hako');
    if (V1) {
      if (swap !== 'absent') assert.ok(Number(swap) > 2 ** 62, swap);
      assert.equal(quota, '-1');
    } else {
      assert.equal(swap, 'max');
      assert.match(quota, /^max /);
    }
    if (!RUNC) return t.diagnostic(NO_RUNC);
    assert.deepEqual([swap, quota], updatedLimits('runc'), 'runc leaves the same values');
  });

  it('a value that is not a number is still refused, naming the flag', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '60']), id]).status, 0);
    assert.match(h.hako(['update', '--memory', 'lots', id]).stderr, /--memory: not a number: "lots"/);
  });
});
