// In a new user namespace, what lies on the host is reached by the caller, before the namespace is
// entered (as runc does): a bind source beneath a directory only the caller may search, and the
// console socket in one. The bind check runs under runc too, in the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startConsoleReceiver } from '../../fixtures/console-receiver.js';
import type { Spec } from '../../../src/oci/types.js';
import { assertAsRunc, Harness } from './harness.js';

const h = new Harness();
const priv = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-private-'));
after(() => {
  h.cleanup();
  fs.rmSync(priv, { recursive: true, force: true });
});

function userns(s: Spec): void {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
}

describe('host paths under a user namespace', () => {
  it('binds a source beneath a directory only the caller may search, as runc', (t) => {
    fs.chmodSync(priv, 0o700);
    fs.mkdirSync(path.join(priv, 'data'));
    fs.chmodSync(path.join(priv, 'data'), 0o755);
    fs.writeFileSync(path.join(priv, 'data/file'), 'readable\n');
    fs.chmodSync(path.join(priv, 'data/file'), 0o644);
    fs.writeFileSync(path.join(priv, 'single'), 'one file\n');
    fs.chmodSync(path.join(priv, 'single'), 0o644);
    const { hako: r, runc } = h.runBoth(
      ['sh', '-c', 'cat /m/file /single; touch /m/x 2>&1 | grep -o "Read-only file system"'],
      (s) => {
        userns(s);
        s.mounts!.push({ destination: '/m', type: 'bind', source: path.join(priv, 'data'), options: ['rbind', 'ro'] });
        s.mounts!.push({ destination: '/single', type: 'bind', source: path.join(priv, 'single'), options: ['bind'] });
      },
      (b) => {
        // The mount points exist in the image: the container's root (host uid 100000) cannot create
        // them in a root filesystem owned by the host's root, with runc neither.
        fs.mkdirSync(path.join(b, 'rootfs/m'));
        fs.writeFileSync(path.join(b, 'rootfs/single'), '');
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'readable\none file\nRead-only file system\n');
    assertAsRunc(t, r, runc);
  });

  it('connects a console socket in a directory only the caller may search', async () => {
    const dir = fs.mkdtempSync(path.join(priv, 'sock-'));
    fs.chmodSync(dir, 0o700);
    const sock = path.join(dir, 'console.sock');
    const out = path.join(dir, 'console.out');
    const { done } = await startConsoleReceiver(sock, out);
    const bundle = h.bundle(['sh', '-c', 'echo in-userns $(id -u)'], (s) => {
      userns(s);
      s.process!.terminal = true;
    });
    const r = h.hakoDetached(['run', '--detach', '--console-socket', sock, '--bundle', bundle, h.id()]);
    assert.equal(r.status, 0, r.stdout);
    await done;
    assert.equal(fs.readFileSync(out, 'utf8').split('\n').slice(1).join('\n'), 'in-userns 0\r\n');
  });
});
