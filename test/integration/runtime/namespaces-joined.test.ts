// Namespaces joined by path or not asked for at all (inherited from the caller), as runc allows:
// a mount namespace joined by path, none at all (the rootfs is built in ours and detached again at
// delete), a hostname set in a uts namespace joined by path, and rootfsPropagation applied to /.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Harness, mountsUnder } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

/** A container whose namespaces others can join: `sleep`, created and started detached. */
function holder(edit?: Parameters<Harness['bundle']>[1]): { id: string; pid: number } {
  const id = h.id('holder');
  assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60'], edit), id]).status, 0);
  return { id, pid: JSON.parse(h.hako(['state', id]).stdout).pid };
}

describe('namespaces joined by path or inherited', () => {
  it('joins a mount namespace by path: the container runs in it, in its own root', async () => {
    // A mount namespace that still sees the host's files (as the bundle path must resolve there),
    // made by util-linux for the test (another container's would have pivoted into its rootfs).
    const other = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '60'], { stdio: 'ignore' });
    try {
      const ns = `/proc/${other.pid}/ns/mnt`;
      for (let i = 0; i < 500 && fs.readlinkSync(ns) === fs.readlinkSync('/proc/self/ns/mnt'); i++) await new Promise((r) => setTimeout(r, 10));
      const r = h.run(['sh', '-c', 'readlink /proc/self/ns/mnt; cat /etc/hostname'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'mount' ? { ...n, path: ns } : n));
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [fs.readlinkSync(ns), 'busybox']);
      assert.notEqual(fs.readlinkSync(ns), fs.readlinkSync('/proc/self/ns/mnt'));
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('sets the hostname in a uts namespace joined by path', () => {
    const other = holder((s) => {
      s.hostname = 'before';
    });
    const r = h.run(['hostname'], (s) => {
      s.hostname = 'joined';
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'uts' ? { ...n, path: `/proc/${other.pid}/ns/uts` } : n));
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'joined');
    assert.equal(h.hako(['exec', other.id, 'hostname']).stdout.trim(), 'joined', 'the other container shares it');
    h.hako(['delete', '--force', other.id]);
  });

  it("without a mount namespace: runs chroot'ed in the caller's namespace, and delete detaches its mounts", () => {
    const id = h.id();
    const bundle = h.bundle(['sh', '-c', 'readlink /proc/self/ns/mnt; ls /bin/busybox'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
      delete s.linux!.maskedPaths;
      delete s.linux!.readonlyPaths;
    });
    const rootfs = fs.realpathSync(path.join(bundle, 'rootfs'));
    const r = h.hako(['run', '--keep', '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [fs.readlinkSync('/proc/self/ns/mnt'), '/bin/busybox']);
    assert.ok(mountsUnder(rootfs).includes(`${rootfs}/proc`), 'its /proc is mounted in our namespace while it exists');
    assert.equal(h.hako(['delete', id]).status, 0);
    assert.deepEqual(mountsUnder(rootfs), [], 'nothing left mounted');

    // exec into such a container is chroot'ed into its root too (the host has bash, busybox has not).
    const running = h.id();
    assert.equal(
      h.hakoDetached([
        'run',
        '--detach',
        '--bundle',
        h.bundle(['sleep', '60'], (s) => {
          s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
          delete s.linux!.maskedPaths;
          delete s.linux!.readonlyPaths;
        }),
        running,
      ]).status,
      0,
    );
    const e = h.hako(['exec', running, 'sh', '-c', 'ls /bin/busybox; test -e /bin/bash || echo no-bash']);
    assert.equal(e.status, 0, e.stderr);
    assert.deepEqual(e.stdout.trim().split('\n'), ['/bin/busybox', 'no-bash']);
    assert.equal(h.hako(['delete', '--force', running]).status, 0);
    assert.deepEqual(mountsUnder(rootfs), [], 'nothing left mounted');
  });

  it("rootfsPropagation shared and unbindable apply to the container's /", () => {
    // Field 5 of mountinfo is the mount point; the optional fields (shared:N, unbindable) follow.
    const optional = (prop: string) =>
      h.run(['awk', '$5 == "/"', '/proc/self/mountinfo'], (s) => {
        s.linux!.rootfsPropagation = prop;
      });
    const shared = optional('shared');
    assert.equal(shared.status, 0, shared.stderr);
    assert.match(shared.stdout, / shared:\d+/);
    const unbindable = optional('unbindable');
    assert.equal(unbindable.status, 0, unbindable.stderr);
    assert.match(unbindable.stdout, / unbindable /);
  });
});
