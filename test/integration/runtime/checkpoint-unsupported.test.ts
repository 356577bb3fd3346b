// podman asks `RUNTIME checkpoint --help` whether the runtime can checkpoint, and takes exit 0 as
// yes. Until hako has CRIU support the answer must be a clean no: one line, non-zero.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Harness, REPO } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('checkpoint and restore', () => {
  it("hako-runtime checkpoint --help (podman's probe) says unsupported in one line and fails", () => {
    const r = spawnSync(path.join(REPO, 'bin/hako-runtime'), ['checkpoint', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'hako: checkpoint: unsupported: hako has no checkpoint/restore (CRIU) support\n');
  });

  it('restore, with any arguments, fails the same way', () => {
    const r = h.hako(['restore', '--bundle', '.', 'some-id']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^hako: restore: unsupported/);
  });
});
