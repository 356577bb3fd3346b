// Mount options runc and crun accept and engines send: tmpcopyup (podman's --tmpfs, --read-only)
// and the recursive attributes (rro, rnosuid, …) applied with mount_setattr(AT_RECURSIVE).
// tmpcopyup is compared with runc in the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertAsRunc, Harness } from './harness.js';
import type { Spec } from '../../../src/oci/types.js';

const h = new Harness();
const temps: string[] = [];
after(() => {
  h.cleanup();
  for (const t of temps) {
    try {
      execFileSync('umount', ['-l', path.join(t, 'sub')], { stdio: 'ignore' });
    } catch {
      /* not mounted */
    }
    fs.rmSync(t, { recursive: true, force: true });
  }
});

/** A bundle whose image has /data with a file, a subdirectory, a symlink out of the root and an xattr. */
function imageWithData(args: string[], options: string[]): string {
  const b = h.bundle(args, withTmpfs(options));
  addData(b);
  return b;
}

const withTmpfs = (options: string[]) => (s: Spec) => {
  s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options });
};

function addData(b: string): void {
  const data = path.join(b, 'rootfs/data');
  fs.mkdirSync(path.join(data, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(data, 'file'), 'from the image\n');
  fs.chmodSync(path.join(data, 'file'), 0o604);
  fs.chownSync(path.join(data, 'file'), 1000, 1001);
  fs.writeFileSync(path.join(data, 'sub/deep'), 'deep\n');
  fs.chmodSync(path.join(data, 'sub'), 0o711);
  fs.symlinkSync('/etc/hostname', path.join(data, 'link'));
  fs.symlinkSync('../../../../../../', path.join(data, 'escape'));
  // Node has no xattr call; python3 is a test prerequisite (scripts/install-deps.sh).
  execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.hako", b"kept")', path.join(data, 'file')]);
}

describe('mount options as runc accepts them', () => {
  it('tmpcopyup copies the image directory into the new tmpfs, not following symlinks, as runc', (t) => {
    const script =
      'cd /data && stat -c "%n %a %u:%g" file sub && cat file sub/deep && readlink link && readlink escape && cat link ' +
      '&& echo new > created && grep " /data " /proc/mounts | cut -d" " -f3';
    const { hako: r, runc, bundles } = h.runBoth(['sh', '-c', script], withTmpfs(['nosuid', 'nodev', 'tmpcopyup', 'size=1m']), addData);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'file 604 1000:1001\nsub 711 0:0\nfrom the image\ndeep\n/etc/hostname\n../../../../../../\nbusybox\ntmpfs\n');
    // Written to the tmpfs, not to the image.
    assert.equal(fs.existsSync(path.join(bundles.hako, 'rootfs/data/created')), false);
    assertAsRunc(t, r, runc);
  });

  it('a read-only tmpfs with tmpcopyup is filled, then read-only, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(['sh', '-c', 'cat /data/file; echo x > /data/new && echo wrote'], withTmpfs(['ro', 'tmpcopyup']), addData);
    assert.equal(r.stdout, 'from the image\n');
    assert.match(r.stderr, /Read-only file system/);
    assertAsRunc(t, r, runc);
  });

  it('tmpcopyup keeps extended attributes', () => {
    const b = imageWithData(['sleep', '30'], ['tmpcopyup']);
    // busybox cannot read xattrs: the copy is read from the host through /proc/PID/root.
    const id = h.id();
    const c = h.hakoDetached(['run', '-d', '--bundle', b, id]);
    assert.equal(c.status, 0, c.stderr);
    try {
      const pid = JSON.parse(h.hako(['state', id]).stdout).pid;
      const out = execFileSync('python3', [
        '-c',
        'import os,sys; print(os.getxattr(sys.argv[1], "user.hako").decode())',
        `/proc/${pid}/root/data/file`,
      ]).toString();
      assert.equal(out, 'kept\n');
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });

  it('tmpcopyup on a missing directory creates it; notmpcopyup is the plain default', () => {
    let r = h.run(['sh', '-c', 'ls -a /fresh | wc -l'], (s) => {
      s.mounts!.push({ destination: '/fresh', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] });
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2');
    r = h.run(['sh', '-c', 'ls /etc | wc -l'], (s) => {
      s.mounts!.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['notmpcopyup'] });
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  });

  it('rro makes a bind mount and the mounts beneath it read-only; rrw and rnoexec are accepted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rro-'));
    temps.push(dir);
    fs.mkdirSync(path.join(dir, 'sub'));
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(dir, 'sub')]);
    const script = 'touch /m/top 2>/dev/null && echo top-writable; touch /m/sub/x 2>/dev/null && echo sub-writable; echo done';
    let r = h.run(['sh', '-c', script], (s) => {
      s.mounts!.push({ destination: '/m', type: 'bind', source: dir, options: ['rbind', 'rro'] });
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
    // Plain ro leaves the submount writable: that is why runc has rro.
    r = h.run(['sh', '-c', script], (s) => {
      s.mounts!.push({ destination: '/m', type: 'bind', source: dir, options: ['rbind', 'ro'] });
    });
    assert.equal(r.stdout, 'sub-writable\ndone\n');
    r = h.run(['sh', '-c', 'grep " /m/sub " /proc/mounts | grep -o noexec'], (s) => {
      s.mounts!.push({ destination: '/m', type: 'bind', source: dir, options: ['rbind', 'rrw', 'rnoexec', 'rnosuid', 'rnodev', 'rnoatime'] });
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'noexec\n');
  });

  it('features lists what is accepted', () => {
    const f = JSON.parse(h.hako(['features']).stdout);
    for (const o of ['tmpcopyup', 'notmpcopyup', 'rro', 'rrw', 'rnosuid', 'rnoexec', 'nosymfollow']) assert.ok(f.mountOptions.includes(o), o);
  });
});
