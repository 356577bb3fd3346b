// On a hybrid host (v1 controllers plus cgroup2 at /sys/fs/cgroup/unified) the container also joins
// the cgroup2 hierarchy, as runc does, and the directory goes with the container. runc's container
// is checked the same way in the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, NO_RUNC, RUNC } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

const HYBRID = fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers') && fs.existsSync('/sys/fs/cgroup/memory');

describe('hybrid cgroups', { skip: HYBRID ? false : 'not a hybrid cgroup host (v1 controllers plus /sys/fs/cgroup/unified)' }, () => {
  it('joins the unified hierarchy and removes its directory on delete', () => {
    const id = h.id();
    const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
    assert.equal(r.status, 0, r.stderr);
    const pid = JSON.parse(h.hako(['state', id]).stdout).pid;
    const unified = fs
      .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    const memory = fs
      .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => /^\d+:memory:/.test(l))!
      .split(':')[2];
    assert.equal(unified, `0::${memory}`);
    assert.ok(fs.existsSync(`/sys/fs/cgroup/unified${memory}`));
    // An exec'd process joins it too: in the container's cgroup namespace that is its root (a
    // process left outside would see a path with "..").
    const e = h.hako(['exec', id, 'sh', '-c', 'grep "^0::" /proc/self/cgroup']);
    assert.equal(e.stdout.trim(), '0::/', e.stderr);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
    assert.equal(fs.existsSync(`/sys/fs/cgroup/unified${memory}`), false);
  });

  it("runc does the same: a unified directory of the container's, joined by exec too, gone on delete", (t) => {
    if (!RUNC) return t.skip(NO_RUNC);
    const id = h.id('runc');
    assert.equal(h.runcDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]).status, 0);
    const pid = JSON.parse(h.runc(['state', id]).stdout).pid;
    const unified = fs
      .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'))!
      .slice(3);
    assert.ok(unified.endsWith(`/${id}`), unified);
    assert.ok(fs.existsSync(`/sys/fs/cgroup/unified${unified}`));
    assert.equal(h.runc(['exec', id, 'sh', '-c', 'grep "^0::" /proc/self/cgroup']).stdout.trim(), '0::/');
    assert.equal(h.runc(['delete', '--force', id]).status, 0);
    assert.equal(fs.existsSync(`/sys/fs/cgroup/unified${unified}`), false);
  });
});
