// `list --format json` carries runc's fields: rootfs (absolute) and owner as well as the OCI state.
// A runc container made alike is listed by runc in the same test, and the fields must be runc's.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Harness, NO_RUNC, RUNC } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('list --format json', () => {
  it('has rootfs and owner, as runc', (t) => {
    const bundle = h.bundle(['sleep', '60']);
    const id = h.id();
    assert.equal(h.hakoDetached(['create', '--bundle', bundle, id]).status, 0);
    try {
      const json = JSON.parse(h.hako(['list', '--format', 'json']).stdout);
      const c = json.find((x: { id: string }) => x.id === id);
      assert.equal(c.rootfs, path.join(bundle, 'rootfs'));
      assert.equal(c.owner, 'root');
      assert.equal(c.status, 'created');
      assert.equal(c.bundle, bundle);
      assert.ok(c.pid > 0 && !Number.isNaN(Date.parse(c.created)));
      if (!RUNC) return t.diagnostic(NO_RUNC);
      const runcBundle = h.bundle(['sleep', '60']);
      const runcId = h.id('runc');
      assert.equal(h.runcDetached(['create', '--bundle', runcBundle, runcId]).status, 0);
      const rc = JSON.parse(h.runc(['list', '--format', 'json']).stdout).find((x: { id: string }) => x.id === runcId);
      assert.deepEqual(Object.keys(c).sort(), Object.keys(rc).sort(), "the same fields as runc's");
      assert.deepEqual([rc.rootfs, rc.owner, rc.status, rc.bundle], [path.join(runcBundle, 'rootfs'), 'root', 'created', runcBundle]);
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });
});
