// The seccomp filter is in place before the startContainer hooks run, as runc loads it (they run
// in the container, just before its process, and must not escape its filter). Checked with runc
// too, in the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertAsRunc, Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('seccomp and startContainer hooks', () => {
  it('a startContainer hook runs under the container filter, as with runc', (t) => {
    const {
      hako: r,
      runc,
      bundles,
    } = h.runBoth(['true'], (s) => {
      s.root!.readonly = false;
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknodat', 'mknod'], action: 'SCMP_ACT_ERRNO' }] };
      s.hooks = {
        startContainer: [
          { path: '/bin/sh', args: ['sh', '-c', '/bin/grep "^Seccomp:" /proc/self/status > /hook-out; /bin/mknod /hook-fifo p 2>> /hook-out; true'] },
        ],
      };
    });
    assert.equal(r.status, 0, r.stderr);
    const out = fs.readFileSync(path.join(bundles.hako, 'rootfs/hook-out'), 'utf8');
    assert.match(out, /^Seccomp:\s+2\n/);
    assert.match(out, /Operation not permitted/);
    assert.equal(fs.existsSync(path.join(bundles.hako, 'rootfs/hook-fifo')), false);
    assertAsRunc(t, r, runc);
    if (bundles.runc) {
      assert.equal(fs.readFileSync(path.join(bundles.runc, 'rootfs/hook-out'), 'utf8'), out, "runc's hook saw the same");
      assert.equal(fs.existsSync(path.join(bundles.runc, 'rootfs/hook-fifo')), false);
    }
  });
});
