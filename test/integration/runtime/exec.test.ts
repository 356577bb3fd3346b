// `hako runtime exec`: what the exec'd process sees and gets, and what exec refuses.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { Harness, HAKO } from './harness.js';
import { OWN_CGROUP_ROOT_LINE } from '../../fixtures/cgroup-layout.js';

const h = new Harness();
after(() => h.cleanup());

describe('exec', () => {
  it("sees the container's PID namespace, hostname, mounts, cgroup and user", () => {
    const id = h.id();
    assert.equal(
      h.hakoDetached([
        'run',
        '--detach',
        '--bundle',
        h.bundle(['sleep', '60'], (s) => {
          s.hostname = 'inside';
          s.mounts!.push({ destination: '/marker', type: 'tmpfs', source: 'tmpfs', options: ['size=1k'] });
          s.process!.user = { uid: 123, gid: 456 };
        }),
        id,
      ]).status,
      0,
    );
    const pid = JSON.parse(h.hako(['state', id]).stdout).pid;
    const r = h.hako([
      'exec',
      id,
      'sh',
      '-c',
      'echo $$; hostname; grep -c " /marker " /proc/self/mounts; id -u; id -g; ps -o pid,comm | grep -c sleep; for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; grep -E \':memory:|^0::\' /proc/self/cgroup | head -1',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.notEqual(lines[0], '1');
    assert.deepEqual(lines.slice(1, 6), ['inside', '1', '123', '456', '1']);
    const ns = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'].map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`));
    assert.deepEqual(lines.slice(6, 12), ns);
    assert.match(lines[12], OWN_CGROUP_ROOT_LINE);
    // From the host, the exec'd process is in the container's cgroup.
    const execPid = spawn(HAKO, ['runtime', '--root', h.root, 'exec', id, 'sleep', '5'], { stdio: 'ignore' });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    const pids: number[] = JSON.parse(h.hako(['ps', '--format', 'json', id]).stdout);
    assert.equal(pids.length, 2, "the exec'd sleep is in the container's cgroup");
    execPid.kill();
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it("passes the exit status, flags override the container's process, caps dropped at create stay dropped", () => {
    const id = h.id();
    assert.equal(
      h.hakoDetached([
        'run',
        '--detach',
        '--bundle',
        h.bundle(['sleep', '60'], (s) => {
          s.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
        }),
        id,
      ]).status,
      0,
    );
    assert.equal(h.hako(['exec', id, 'sh', '-c', 'exit 9']).status, 9);
    const r = h.hako(['exec', '--env', 'X=y', '--cwd', '/tmp', '--user', '7:8', id, 'sh', '-c', 'echo $X; pwd; id -u; id -g']);
    assert.deepEqual(r.stdout.trim().split('\n'), ['y', '/tmp', '7', '8']);
    const caps = h.hako(['exec', id, 'grep', 'CapBnd', '/proc/self/status']).stdout;
    assert.match(caps, /CapBnd:\s+0000000000000020/);
    // Adding a capability the bounding set of the container lacks cannot give it back.
    const added = h.hako(['exec', '--cap', 'CAP_SYS_ADMIN', id, 'grep', 'CapEff', '/proc/self/status']).stdout;
    assert.match(added, /CapEff:\s+0000000000200020/);
    assert.equal(h.hako(['exec', id, 'nosuchcmd']).status, 1);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('exec -t gets a pty', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60']), id]).status, 0);
    // Our stdin is not a terminal: the relay still gives the process its own pty.
    const r = h.hako(['exec', '-t', id, 'sh', '-c', 'tty; test -t 0 && echo stdin-is-tty']);
    assert.equal(r.status, 0, r.stderr);
    // The relay clears ONLCR, as runc's does: line ends arrive as they were written.
    assert.match(r.stdout, /^\/dev\/pts\/\d+\nstdin-is-tty\n$/);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('refuses a stopped container and an unknown one', () => {
    assert.match(h.hako(['exec', 'nope', 'true']).stderr, /does not exist/);
  });
});
