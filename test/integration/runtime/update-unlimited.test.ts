// `update --memory-swap -1` and `--cpu-quota -1` (what `docker update` sends for "unlimited") are
// values, as runc reads them, not ambiguous flags.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

const V1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');

describe('update with -1 for unlimited', () => {
  it('--memory-swap -1 and --cpu-quota -1 lift the limits', () => {
    const id = h.id();
    const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '60'], (s) => {
      s.linux!.resources = { memory: { limit: 64 << 20, swap: 128 << 20 }, cpu: { quota: 20000, period: 100000 } };
    }), id]);
    assert.equal(r.status, 0, r.stderr);
    try {
      const u = h.hako(['update', '--memory-swap', '-1', '--cpu-quota', '-1', id]);
      assert.equal(u.status, 0, u.stderr);
      const read = (f: string) => fs.readFileSync(f, 'utf8').trim();
      if (V1) {
        const memsw = `/sys/fs/cgroup/memory/hako/${id}/memory.memsw.limit_in_bytes`;
        if (fs.existsSync(memsw)) assert.ok(Number(read(memsw)) > 2 ** 62, read(memsw));
        assert.equal(read(`/sys/fs/cgroup/cpu/hako/${id}/cpu.cfs_quota_us`), '-1');
      } else {
        assert.equal(read(`/sys/fs/cgroup/hako/${id}/memory.swap.max`), 'max');
        assert.match(read(`/sys/fs/cgroup/hako/${id}/cpu.max`), /^max /);
      }
      // A value that is not a number is still refused, naming the flag.
      assert.match(h.hako(['update', '--memory', 'lots', id]).stderr, /--memory: not a number: "lots"/);
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });
});
