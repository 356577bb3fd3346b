// kill and delete as runc does them, which engines match on: containerd's shim sends `kill --all
// ID 9` after every exit and recognises only runc's wording; `kill 0` is a liveness probe; a
// paused container can be killed and force-deleted; `delete --force` of a missing one succeeds.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, waitFor } from './harness.js';
import fs from 'node:fs';

const h = new Harness();
after(() => h.cleanup());

function detached(args: string[]): { id: string; pid: number } {
  const id = h.id();
  assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(args), id]).status, 0);
  return { id, pid: JSON.parse(h.hako(['state', id]).stdout).pid };
}

const status = (id: string) => JSON.parse(h.hako(['state', id]).stdout).status;
// v2's freezer is in every cgroup; v1's is a hierarchy of its own.
const hasFreezer = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') || fs.existsSync('/sys/fs/cgroup/freezer');

describe('kill and delete semantics (runc\'s)', () => {
  it('kill of a stopped container: "container not running", but kill --all succeeds (containerd after every exit)', () => {
    const { id } = detached(['true']);
    waitFor(() => status(id) === 'stopped', 'the container to stop');
    let r = h.hako(['kill', id, 'KILL']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container not running/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    r = h.hako(['kill', '--all', id, '9']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(h.hako(['delete', id]).status, 0);
  });

  it('kill with signal 0 probes liveness: 0 while the process runs, non-zero once it is gone', () => {
    const { id, pid } = detached(['sleep', '60']);
    let r = h.hako(['kill', '-a', id, '0']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(h.hako(['kill', id, '0']).status, 0);
    assert.equal(status(id), 'running', 'signal 0 delivers nothing');
    process.kill(pid, 'SIGKILL');
    waitFor(() => status(id) === 'stopped', 'the container to stop');
    r = h.hako(['kill', id, '0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container not running/);
    assert.equal(h.hako(['delete', id]).status, 0);
  });

  it('a paused container can be killed (it is thawed after SIGKILL) and force-deleted quickly', { skip: !hasFreezer && 'no freezer controller' }, () => {
    let c = detached(['sleep', '60']);
    assert.equal(h.hako(['pause', c.id]).status, 0);
    assert.equal(status(c.id), 'paused');
    assert.equal(h.hako(['kill', c.id, 'KILL']).status, 0);
    waitFor(() => status(c.id) === 'stopped', 'the paused container to die');
    assert.equal(h.hako(['delete', c.id]).status, 0);

    c = detached(['sleep', '60']);
    assert.equal(h.hako(['pause', c.id]).status, 0);
    let r = h.hako(['delete', c.id]);
    assert.notEqual(r.status, 0, 'a paused container is not deleted without --force');
    assert.match(r.stderr, /in state paused/);
    // Without the thaw, delete gave up after 5 s of waiting for the frozen process to die.
    r = h.hako(['delete', '--force', c.id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(h.hako(['state', c.id]).status, 1, 'gone');
  });

  it('delete --force of a container that does not exist succeeds; plain delete says "does not exist"', () => {
    let r = h.hako(['delete', '--force', 'no-such-container']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    r = h.hako(['delete', 'no-such-container']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /does not exist/);
  });
});
