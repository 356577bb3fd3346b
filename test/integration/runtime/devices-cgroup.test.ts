// linux.devices creates nodes; only linux.resources.devices decides whether they may be used, as
// with runc: a node created but denied by the device cgroup stays unusable. Compared with runc in
// the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { assertAsRunc, Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

// /dev/fuse opens for root without any capability, so the device cgroup is all that decides.
const FUSE = { type: 'c' as const, path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666 };

describe('device nodes and the device cgroup', { skip: fs.existsSync('/dev/fuse') ? false : 'no /dev/fuse on this host' }, () => {
  it('a node in linux.devices that the rules deny exists but cannot be opened, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(['sh', '-c', 'ls /dev/fuse && (exec 3<>/dev/fuse) 2>&1'], (s) => {
      s.linux!.devices = [FUSE];
    });
    assert.match(r.stdout, /^\/dev\/fuse\n.*Operation not permitted/s);
    assert.notEqual(r.status, 0);
    assertAsRunc(t, r, runc);
  });

  it('with a rule in linux.resources.devices it opens, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(['sh', '-c', '(exec 3<>/dev/fuse) && echo opened'], (s) => {
      s.linux!.devices = [FUSE];
      s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(r.stdout, 'opened\n');
    assertAsRunc(t, r, runc);
  });
});
