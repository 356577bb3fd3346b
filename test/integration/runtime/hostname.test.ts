// hostname and domainname (a UTS namespace of its own).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('hostname', () => {
  it('sets hostname and domainname without touching the host', () => {
    const before = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8');
    const r = h.run(['sh', '-c', 'hostname; cat /proc/sys/kernel/domainname; hostname changed-inside; hostname'], (s) => {
      s.hostname = 'boxed';
      s.domainname = 'example.test';
      // Changing the hostname from inside needs CAP_SYS_ADMIN (in the container's user namespace).
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_SYS_ADMIN');
      s.root!.readonly = false;
      s.linux!.readonlyPaths = [];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['boxed', 'example.test', 'changed-inside']);
    assert.equal(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8'), before);
  });
});
