// The container process's last steps as runc takes them: the cwd is entered while still root, the
// pty (all stdio but /dev/null) is handed to the process's uid, and proc/sysfs are never mounted
// through a symlink the image placed at /proc or /sys. Each check runs under runc too, in the same
// test, with a bundle made alike (but for the pty: runc's foreground run takes the caller's tty).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { assertAsRunc, Harness, NO_RUNC, RUNC, waitFor } from './harness.js';
import type { Spec } from '../../../src/oci/types.js';

const h = new Harness();
after(() => h.cleanup());

describe('process set-up as runc does it', () => {
  it('a cwd only root may enter works for a process with a user (entered before dropping to it), as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(
      ['sh', '-c', 'pwd; id -u; ls . 2>&1 | grep -c "Permission denied"'],
      (s) => {
        s.process!.user = { uid: 1000, gid: 1000 };
        s.process!.cwd = '/root';
      },
      (b) => fs.chmodSync(path.join(b, 'rootfs/root'), 0o700),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/root\n1000\n1\n');
    assertAsRunc(t, r, runc);
  });

  it('a cwd the user cannot reach even as root still fails clearly, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(['pwd'], (s) => {
      s.process!.cwd = '/etc/hostname';
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/etc\/hostname/);
    assertAsRunc(t, r, runc, { refused: true });
  });

  it('the pty of a process with a user belongs to that user', () => {
    const r = h.run(['sh', '-c', 'stat -L -c "%u %g" /proc/self/fd/0; ls -l /dev/null | cut -c1-10'], (s) => {
      s.process!.terminal = true;
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    assert.equal(r.status, 0, r.stderr);
    // The group stays devpts' tty group (gid=5 in the default mount), as with runc.
    assert.equal(r.stdout.replace(/\r/g, ''), '1000 5\ncrw-rw-rw-\n');
  });

  it('stdio that is /dev/null is left alone, as with runc', (t) => {
    const edit = (s: Spec) => {
      s.process!.user = { uid: 1000, gid: 1000 };
    };
    const args = ['sh', '-c', 'stat -L -c %u /proc/self/fd/0'];
    const r = h.hako(['run', '--bundle', h.bundle(args, edit), h.id()], { stdio: [fs.openSync('/dev/null', 'r'), 'pipe', 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync('/dev/null').uid, 0);
    assert.equal(r.stdout, '0\n');
    if (!RUNC) return t.diagnostic(NO_RUNC);
    // runc's foreground run gives the process pipes of its own; its `run -d` hands the caller's
    // stdio over, as hako's foreground run does with /dev/null.
    const id = h.id('runc');
    const out = path.join(h.root, '.runc-devnull-out');
    const outFd = fs.openSync(out, 'w+');
    try {
      const rr = spawnSync(RUNC, ['--root', h.runcRoot(), 'run', '-d', '--bundle', h.bundle(args, edit), id], {
        stdio: [fs.openSync('/dev/null', 'r'), outFd, outFd],
        timeout: 30_000,
      });
      assert.equal(rr.status, 0, fs.readFileSync(out, 'utf8'));
      waitFor(() => JSON.parse(h.runc(['state', id]).stdout).status === 'stopped', 'the runc container to exit');
    } finally {
      fs.closeSync(outFd);
    }
    assert.equal(fs.readFileSync(out, 'utf8'), r.stdout, 'runc leaves /dev/null alone too');
    assert.equal(fs.statSync('/dev/null').uid, 0);
  });

  for (const dir of ['proc', 'sys']) {
    it(`a rootfs whose /${dir} is a symlink is refused, as runc refuses it`, (t) => {
      const rootfses: string[] = [];
      const { hako: r, runc } = h.runBoth(['true'], undefined, (b) => {
        const rootfs = path.join(b, 'rootfs');
        fs.rmSync(path.join(rootfs, dir), { recursive: true });
        fs.mkdirSync(path.join(rootfs, 'elsewhere'));
        fs.symlinkSync('/elsewhere', path.join(rootfs, dir));
        rootfses.push(rootfs);
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`filesystem "${dir === 'proc' ? 'proc' : 'sysfs'}" must be mounted on ordinary directory: /${dir} is a symlink`));
      for (const rootfs of rootfses) assert.deepEqual(fs.readdirSync(path.join(rootfs, 'elsewhere')), [], rootfs);
      assertAsRunc(t, r, runc, { refused: true });
    });
  }
});
