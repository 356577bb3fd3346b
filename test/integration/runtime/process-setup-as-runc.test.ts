// The container process's last steps as runc takes them: the cwd is entered while still root, the
// pty (all stdio but /dev/null) is handed to the process's uid, and proc/sysfs are never mounted
// through a symlink the image placed at /proc or /sys.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('process set-up as runc does it', () => {
  it('a cwd only root may enter works for a process with a user (entered before dropping to it)', () => {
    const b = h.bundle(['sh', '-c', 'pwd; id -u; ls . 2>&1 | grep -c "Permission denied"'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.cwd = '/root';
    });
    fs.chmodSync(path.join(b, 'rootfs/root'), 0o700);
    const r = h.hako(['run', '--bundle', b, h.id()]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/root\n1000\n1\n');
  });

  it('a cwd the user cannot reach even as root still fails clearly', () => {
    const r = h.run(['pwd'], (s) => { s.process!.cwd = '/etc/hostname'; });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/etc\/hostname/);
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

  it('stdio that is /dev/null is left alone', () => {
    const r = h.hako(['run', '--bundle', h.bundle(['sh', '-c', 'stat -L -c %u /proc/self/fd/0 >&2'], (s) => { s.process!.user = { uid: 1000, gid: 1000 }; }), h.id()],
      { stdio: [fs.openSync('/dev/null', 'r'), 'pipe', 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync('/dev/null').uid, 0);
    assert.equal(r.stderr, '0\n');
  });

  for (const dir of ['proc', 'sys']) {
    it(`a rootfs whose /${dir} is a symlink is refused`, () => {
      const b = h.bundle(['true']);
      const rootfs = path.join(b, 'rootfs');
      fs.rmSync(path.join(rootfs, dir), { recursive: true });
      fs.mkdirSync(path.join(rootfs, 'elsewhere'));
      fs.symlinkSync('/elsewhere', path.join(rootfs, dir));
      const r = h.hako(['run', '--bundle', b, h.id()]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`filesystem "${dir === 'proc' ? 'proc' : 'sysfs'}" must be mounted on ordinary directory: /${dir} is a symlink`));
      assert.deepEqual(fs.readdirSync(path.join(rootfs, 'elsewhere')), []);
    });
  }
});
