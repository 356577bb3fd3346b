// `list --format json` carries runc's fields: rootfs (absolute) and owner as well as the OCI state.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('list --format json', () => {
  it('has rootfs and owner, as runc', () => {
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
    } finally {
      h.hako(['delete', '--force', id]);
    }
  });
});
