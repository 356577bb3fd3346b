// process.rlimits.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('rlimits', () => {
  it('applies rlimits, and says clearly when raising a hard limit needs CAP_SYS_RESOURCE', () => {
    const r = h.run(['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c'], (s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 768 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['512', '768', '0']);
    const current = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+\d+\s+(\d+)/)![1];
    const raise = h.run(['true'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: Number(current) * 4 }];
    });
    const hasSysResource = (BigInt(`0x${fs.readFileSync('/proc/self/status', 'utf8').match(/CapBnd:\s+(\w+)/)![1]}`) >> 24n) & 1n;
    if (hasSysResource) assert.equal(raise.status, 0, raise.stderr);
    else {
      assert.notEqual(raise.status, 0);
      assert.match(raise.stderr, /^hako: rlimit: resource 7: raising the hard limit .* needs CAP_SYS_RESOURCE/);
    }
  });
});
