// The process's user: uid/gid maps, the configured user with its groups and umask, HOME.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, hostNs } from './harness.js';
import { LayerWorker } from '../../../src/storage/layers/index.js';
import { rec } from '../../../src/native/ops.js';

const h = new Harness();
after(() => h.cleanup());

describe('the process user', () => {
  it('maps the host uid range to root inside a user namespace', () => {
    const r = h.run(['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; readlink /proc/self/ns/user'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0');
    assert.equal(lines[1], '0');
    assert.deepEqual(lines[2].trim().split(/\s+/), ['0', '100000', '65536']);
    assert.deepEqual(lines[3].trim().split(/\s+/), ['0', '200000', '65536']);
    assert.notEqual(lines[4], hostNs('user'));
  });

  it('runs as the configured user with its groups and umask', () => {
    const r = h.run(['sh', '-c', 'id -u; id -g; id -G; umask'], (s) => {
      s.process!.user = { uid: 1000, gid: 1001, additionalGids: [5, 1002], umask: 0o027 };
    });
    assert.equal(r.status, 0, r.stderr);
    const [uid, gid, groups, umask] = r.stdout.trim().split('\n');
    assert.equal(uid, '1000');
    assert.equal(gid, '1001');
    assert.deepEqual(groups.split(' ').sort(), ['1001', '1002', '5']);
    assert.equal(umask, '0027');
  });

  it("gets HOME from the container's /etc/passwd when env has none, like runc; a FIFO there does not hang it", async () => {
    const home = (user: { uid: number; gid: number }, env?: string) => {
      const r = h.run(['sh', '-c', 'echo "$HOME"'], (s) => {
        s.process!.user = user;
        if (env) s.process!.env!.push(env);
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(home({ uid: 0, gid: 0 }), '/root');
    assert.equal(home({ uid: 65534, gid: 65534 }), '/nonexistent');
    assert.equal(home({ uid: 4242, gid: 4242 }), '/', 'no passwd entry');
    assert.equal(home({ uid: 0, gid: 0 }, 'HOME=/data'), '/data', "the config's own HOME wins");
    // A hostile image: /etc/passwd is a FIFO nobody writes to.
    const bundle = h.bundle(['sh', '-c', 'echo "$HOME"']);
    fs.rmSync(`${bundle}/rootfs/etc/passwd`);
    const w = new LayerWorker(`${bundle}/rootfs`);
    w.op(rec('node', 'etc/passwd', 'fifo', '420', '0', '0', '-1', '-1', '0', '0'), 'etc/passwd');
    await w.close();
    const r = h.hako(['run', '--bundle', bundle, h.id()]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '/');
  });
});
