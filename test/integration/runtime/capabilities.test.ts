// Capabilities in all five sets, and no_new_privs.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('capabilities', () => {
  it('has exactly the configured capabilities in all five sets', () => {
    const r = h.run(['grep', '^Cap', '/proc/self/status'], (s) => {
      // Not root: root's execve adds the bounding set back into permitted (the kernel's legacy rule).
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SETPCAP'],
        effective: ['CAP_CHOWN', 'CAP_KILL'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
        inheritable: ['CAP_KILL', 'CAP_NET_RAW'],
        ambient: ['CAP_KILL'],
      };
    });
    assert.equal(r.status, 0, r.stderr);
    const caps = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/:\s+/))
        .map(([k, v]) => [k, BigInt(`0x${v}`)]),
    );
    const bit = (n: number) => 1n << BigInt(n);
    assert.equal(caps.CapBnd, bit(0) | bit(5) | bit(13) | bit(8));
    // For a non-root execve without file capabilities, what survives in permitted and effective is
    // exactly the ambient set: proof that ambient (and inheritable, which it needs) were raised.
    assert.equal(caps.CapPrm, bit(5));
    assert.equal(caps.CapEff, bit(5));
    assert.equal(caps.CapInh, bit(5) | bit(13));
    assert.equal(caps.CapAmb, bit(5));
  });

  it('sets no_new_privs when asked', () => {
    const yes = h.run(['grep', 'NoNewPrivs', '/proc/self/status'], (s) => {
      s.process!.noNewPrivileges = true;
    });
    assert.equal(yes.status, 0, yes.stderr);
    assert.match(yes.stdout, /NoNewPrivs:\s+1/);
    const no = h.run(['grep', 'NoNewPrivs', '/proc/self/status'], (s) => {
      s.process!.noNewPrivileges = false;
    });
    assert.equal(no.status, 0, no.stderr);
    assert.match(no.stdout, /NoNewPrivs:\s+0/);
  });
});
