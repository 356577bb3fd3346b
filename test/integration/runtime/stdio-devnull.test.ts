// A container's stdio that is the host's /dev/null (or /dev/zero): container root holds CAP_FOWNER,
// so through /proc/self/fd/0 it could chmod or chown the host's node, and every other user of the
// host would then fail to write to /dev/null. hako-init swaps in the container's own node, as runc
// does (op_reopen_stdio in native/process.c); chmod and chown then change only that one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, HAKO } from './harness.js';
import type { Spec } from '../../../src/oci/types.js';
import { chmodStdio, guardHostDevices, OWN_DEV_NULL } from '../../fixtures/host-devices.js';

const h = new Harness();
after(() => h.cleanup());

const REPORT = '/tmp/report';

/** Runs `hako runtime ARGS` with `stdio` for its three descriptors: host files opened here, or pipes. */
function hakoWith(stdio: string[], args: string[]): { status: number | null; stderr: string } {
  const fds = stdio.map((p, i) => (p === 'pipe' ? 'pipe' : fs.openSync(p, i === 0 ? 'r' : 'w')));
  try {
    const r = spawnSync(HAKO, ['runtime', '--root', h.root, ...args], { stdio: fds, timeout: 30_000, encoding: 'utf8' });
    return { status: r.status, stderr: String(r.stderr ?? '') };
  } finally {
    for (const fd of fds) if (typeof fd === 'number') fs.closeSync(fd);
  }
}

/** Where the container's REPORT lands on the host (the bundle's rootfs is the container's root). */
function report(bundle: string): string {
  return fs.readFileSync(path.join(bundle, 'rootfs', REPORT), 'utf8');
}

/** A bundle whose root is writable, where the container leaves its REPORT, and whose root may
 *  chown (docker's defaults; runc's spec has no CAP_CHOWN, though chmod needs none: the host's
 *  /dev/null belongs to uid 0, as does the container's process). */
function writableBundle(args: string[], edit?: (s: Spec) => void): string {
  return h.bundle(args, (s) => {
    s.root!.readonly = false;
    const caps = s.process!.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_CHOWN', 'CAP_FOWNER'];
    edit?.(s);
  });
}

const ALL_NULL = ['/dev/null', '/dev/null', '/dev/null'];

describe("stdio that is the host's /dev/null", () => {
  it("run: chmod and chown through /proc/self/fd/0..2 change the container's /dev/null, not the host's", async () => {
    const bundle = writableBundle(['sh', '-c', chmodStdio(REPORT)]);
    await guardHostDevices(() => {
      const r = hakoWith(ALL_NULL, ['run', '--bundle', bundle, h.id()]);
      assert.equal(r.status, 0);
    });
    assert.equal(report(bundle), OWN_DEV_NULL);
  });

  it("run -d (create + start): the container's init gets its own /dev/null too", async () => {
    // The script ends with `sleep` so the container is still there to be deleted.
    const bundle = writableBundle(['sh', '-c', `${chmodStdio(REPORT)}; echo done >&3; sleep 1000`]);
    const id = h.id();
    await guardHostDevices(async () => {
      const r = hakoWith(ALL_NULL, ['run', '-d', '--bundle', bundle, id]);
      assert.equal(r.status, 0);
      const end = Date.now() + 30_000;
      while (!/done/.test(fs.existsSync(path.join(bundle, 'rootfs', REPORT)) ? report(bundle) : '') && Date.now() < end) {
        await new Promise((res) => setTimeout(res, 50));
      }
    });
    assert.equal(report(bundle), `${OWN_DEV_NULL}done\n`);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it("exec: the exec'd process gets the container's /dev/null", async () => {
    const bundle = writableBundle(['sleep', '100000']);
    const id = h.id();
    assert.equal(hakoWith(['/dev/null', '/dev/null', '/dev/null'], ['run', '-d', '--bundle', bundle, id]).status, 0);
    try {
      await guardHostDevices(() => {
        const r = hakoWith(ALL_NULL, ['exec', id, 'sh', '-c', chmodStdio(REPORT)]);
        assert.equal(r.status, 0);
      });
      assert.equal(report(bundle), OWN_DEV_NULL);
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });

  it('stdio still behaves as /dev/null: reads end at once, writes succeed', () => {
    const bundle = writableBundle(['sh', '-c', `exec 3>${REPORT}; cat; echo "read $?" >&3; echo out; echo "wrote $?" >&3; echo err >&2; echo "wrote $?" >&3`]);
    assert.equal(hakoWith(ALL_NULL, ['run', '--bundle', bundle, h.id()]).status, 0);
    assert.equal(report(bundle), 'read 0\nwrote 0\nwrote 0\n');
  });

  it("only the descriptors that are the host's /dev/null are replaced", async () => {
    const dir = fs.mkdtempSync(path.join(h.root, '.out-'));
    const out = path.join(dir, 'out');
    fs.writeFileSync(out, '');
    const bundle = writableBundle(['sh', '-c', `exec 3>${REPORT}; stat -L -c "%t:%T" /proc/self/fd/0 >&3; echo to-the-host-file`]);
    await guardHostDevices(() => {
      assert.equal(hakoWith(['/dev/null', out, '/dev/null'], ['run', '--bundle', bundle, h.id()]).status, 0);
    });
    assert.equal(report(bundle), '1:3\n');
    assert.equal(fs.readFileSync(out, 'utf8'), 'to-the-host-file\n', 'stdout, a host file the caller gave, is left as it is');
  });

  it("the host's /dev/zero is replaced by the container's too", async () => {
    const bundle = writableBundle([
      'sh',
      '-c',
      `exec 3>${REPORT}; chmod 700 /proc/self/fd/0; chown 12:34 /proc/self/fd/0; stat -L -c "%a %u:%g %t:%T" /proc/self/fd/0 >&3; head -c 4 | od -An -tx1 >&3`,
    ]);
    await guardHostDevices(() => {
      assert.equal(hakoWith(['/dev/zero', '/dev/null', '/dev/null'], ['run', '--bundle', bundle, h.id()]).status, 0);
    });
    assert.equal(report(bundle), '700 12:34 1:5\n 00 00 00 00\n');
  });

  it("a container without a /dev/null of its own is refused, not given the host's", async () => {
    // No /dev mount: the rootfs's /dev is an empty directory. (Masking needs a /dev/null too.)
    const bundle = writableBundle(['true'], (s) => {
      s.mounts = s.mounts!.filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
      s.linux!.maskedPaths = [];
    });
    const id = h.id();
    await guardHostDevices(() => {
      const r = hakoWith(['/dev/null', 'pipe', 'pipe'], ['run', '--bundle', bundle, id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^hako: reopen_stdio: fd 0 is the host's \/dev\/null; the container's own \/dev\/null: No such file or directory\n$/);
    });
    assert.equal(h.hako(['state', id]).status, 1, 'nothing is left behind');
  });
});

describe('stdio that is a pty (terminal: true)', () => {
  it("chmod through /proc/self/fd/0 changes the container's own pty, never a host device", async () => {
    // The foreground run relays a pty from the container's own devpts; its stdin here is the
    // host's /dev/null, which the container never sees.
    const bundle = writableBundle(
      ['sh', '-c', `exec 3>${REPORT}; chmod 600 /proc/self/fd/0; stat -L -c "%a %t" /proc/self/fd/0 >&3; stat -c "%d" /dev/pts >&3`],
      (s) => {
        s.process!.terminal = true;
      },
    );
    await guardHostDevices(() => {
      assert.equal(hakoWith(['/dev/null', '/dev/null', '/dev/null'], ['run', '--bundle', bundle, h.id()]).status, 0);
    });
    const [mode, devpts] = report(bundle).trim().split('\n');
    assert.equal(mode, '600 88', 'a pty (major 136) the container may change');
    assert.notEqual(Number(devpts), fs.statSync('/dev/pts').dev, "from the container's own devpts instance");
  });
});
