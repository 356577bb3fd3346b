// Namespaces: the container is PID 1 in new namespaces of each configured type, joins
// namespaces by path, and gets its time namespace offsets.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, hostNs } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe("the container's namespaces", () => {
  it('is PID 1 and ps shows only its own processes', () => {
    // `; true` keeps sh alive (busybox execs the last command in place).
    const r = h.run(['sh', '-c', 'echo $$; ps -o pid,comm; true']);
    assert.equal(r.status, 0, r.stderr);
    const [pid, header, ...procs] = r.stdout.trim().split('\n');
    assert.equal(pid, '1');
    assert.match(header, /PID/);
    assert.deepEqual(
      procs.map((l) => l.trim().split(/\s+/)[1]),
      ['sh', 'ps'],
    );
  });

  it('has new namespaces of every configured type (inode numbers differ from the host)', () => {
    const names = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup', 'time'];
    const r = h.run(['sh', '-c', names.map((n) => `readlink /proc/self/ns/${n === 'time' ? 'time_for_children' : n}`).join(';')], (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
    });
    assert.equal(r.status, 0, r.stderr);
    const inside = r.stdout.trim().split('\n');
    names.forEach((n, i) => assert.notEqual(inside[i], hostNs(n === 'time' ? 'time' : n), `${n} namespace is the host's`));
  });

  it("joins another container's namespaces by path (a pod)", () => {
    const first = h.id();
    assert.equal(
      h.hakoDetached([
        'run',
        '--detach',
        '--bundle',
        h.bundle(['sleep', '60'], (s) => {
          s.hostname = 'pod';
        }),
        first,
      ]).status,
      0,
    );
    const pid = JSON.parse(h.hako(['state', first]).stdout).pid;
    const r = h.run(['sh', '-c', 'readlink /proc/self/ns/uts; readlink /proc/self/ns/net; hostname'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
        n.type === 'uts' || n.type === 'network' ? { type: n.type, path: `/proc/${pid}/ns/${n.type === 'uts' ? 'uts' : 'net'}` } : n,
      );
      delete s.hostname;
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [fs.readlinkSync(`/proc/${pid}/ns/uts`), fs.readlinkSync(`/proc/${pid}/ns/net`), 'pod']);
    assert.equal(h.hako(['delete', '--force', first]).status, 0);
  });

  it('sets time namespace offsets', () => {
    const r = h.run(['cat', '/proc/uptime'], (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 86400 * 365, nanosecs: 0 } };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout.split(' ')[0]) > 86400 * 365, r.stdout);
  });
});
