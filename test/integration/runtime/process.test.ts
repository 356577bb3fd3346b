// The rest of the process settings: oom_score_adj, sysctls, env, cwd.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('process settings', () => {
  it('sets oom_score_adj, sysctls, env and cwd', () => {
    const r = h.run(['sh', '-c', 'cat /proc/self/oom_score_adj; cat /proc/sys/net/ipv4/ip_forward; echo $FOO; pwd'], (s) => {
      s.process!.oomScoreAdj = 500;
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      s.process!.env!.push('FOO=bar baz');
      s.process!.cwd = '/tmp';
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['500', '1', 'bar baz', '/tmp']);
  });

  it('creates a missing cwd, even under a read-only rootfs, as runc does; a file there is an error', () => {
    const r = h.run(['sh', '-c', 'pwd; stat -c %a /srv/app'], (s) => {
      s.process!.cwd = '/srv/app';
      s.root!.readonly = true;
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['/srv/app', '755']);
    const f = h.run(['true'], (s) => {
      s.process!.cwd = '/etc/passwd';
    });
    assert.notEqual(f.status, 0);
    assert.match(f.stderr, /^hako: mkdirs: \/etc\/passwd: not a directory\n$/);
  });
});
