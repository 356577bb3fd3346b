// A network namespace of the container's own: `lo` is up, as runc's "loopback" network makes it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, assertAsRunc } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

// /sys/class/net/lo/flags in hex: IFF_LOOPBACK (0x8), plus IFF_UP (0x1) once it is up. The sysfs of
// a new network namespace shows that namespace's devices.
const SHOW = ['sh', '-c', 'cat /sys/class/net/lo/flags; cat /sys/class/net/lo/operstate'];

describe('loopback', () => {
  it('brings lo up in a new network namespace, as runc does', (t) => {
    const r = h.runBoth(SHOW, (s) => {
      if (!s.linux!.namespaces!.some((n) => n.type === 'network')) s.linux!.namespaces!.push({ type: 'network' });
    });
    assert.equal(r.hako.status, 0, r.hako.stderr);
    assert.deepEqual(r.hako.stdout.trim().split('\n'), ['0x9', 'unknown']);
    assertAsRunc(t, r.hako, r.runc);
  });

  it("leaves the host's lo alone when the network namespace is the host's", (t) => {
    const r = h.runBoth(['sh', '-c', 'cat /sys/class/net/lo/flags'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
    });
    assert.equal(r.hako.status, 0, r.hako.stderr);
    assert.equal(r.hako.stdout.trim(), '0x9');
    assertAsRunc(t, r.hako, r.runc);
  });
});
