// kill and delete as runc does them, which engines match on: containerd's shim sends `kill --all
// ID 9` after every exit and recognises only runc's wording; `kill 0` is a liveness probe; a
// paused container can be killed and force-deleted; `delete --force` of a missing one succeeds.
// Every check runs against hako and, in the same test, against runc (when installed).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, RUNC, waitFor, type Result } from './harness.js';
import fs from 'node:fs';

const h = new Harness();
after(() => h.cleanup());

type Runtime = 'hako' | 'runc';
const runtimes: Runtime[] = RUNC ? ['hako', 'runc'] : ['hako'];
const cli = (rt: Runtime, args: string[]): Result => (rt === 'hako' ? h.hako(args) : h.runc(args));

function detached(rt: Runtime, args: string[]): { id: string; pid: number } {
  const id = h.id(rt);
  const bundle = h.bundle(args);
  const r = rt === 'hako' ? h.hakoDetached(['run', '--detach', '--bundle', bundle, id]) : h.runcDetached(['run', '--detach', '--bundle', bundle, id]);
  assert.equal(r.status, 0, `${rt}: ${r.stderr}`);
  return { id, pid: JSON.parse(cli(rt, ['state', id]).stdout).pid };
}

const status = (rt: Runtime, id: string) => JSON.parse(cli(rt, ['state', id]).stdout).status;
// v2's freezer is in every cgroup; v1's is a hierarchy of its own.
const hasFreezer = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') || fs.existsSync('/sys/fs/cgroup/freezer');

describe("kill and delete semantics (runc's)", () => {
  it('kill of a stopped container: "container not running", but kill --all succeeds (containerd after every exit)', () => {
    for (const rt of runtimes) {
      const { id } = detached(rt, ['true']);
      waitFor(() => status(rt, id) === 'stopped', 'the container to stop');
      let r = cli(rt, ['kill', id, 'KILL']);
      assert.equal(r.status, 1, rt);
      assert.match(r.stderr, /container not running/, rt);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      r = cli(rt, ['kill', '--all', id, '9']);
      assert.equal(r.status, 0, `${rt}: ${r.stderr}`);
      assert.equal(cli(rt, ['delete', id]).status, 0, rt);
    }
  });

  it('kill with signal 0 probes liveness: 0 while the process runs, non-zero once it is gone', () => {
    for (const rt of runtimes) {
      const { id, pid } = detached(rt, ['sleep', '60']);
      let r = cli(rt, ['kill', '-a', id, '0']);
      assert.equal(r.status, 0, `${rt}: ${r.stderr}`);
      assert.equal(cli(rt, ['kill', id, '0']).status, 0, rt);
      assert.equal(status(rt, id), 'running', 'signal 0 delivers nothing');
      process.kill(pid, 'SIGKILL');
      waitFor(() => status(rt, id) === 'stopped', 'the container to stop');
      r = cli(rt, ['kill', id, '0']);
      assert.equal(r.status, 1, rt);
      assert.match(r.stderr, /container not running/, rt);
      assert.equal(cli(rt, ['delete', id]).status, 0, rt);
    }
  });

  it('a paused container can be killed (it is thawed after SIGKILL) and force-deleted quickly', { skip: !hasFreezer && 'no freezer controller' }, () => {
    for (const rt of runtimes) {
      let c = detached(rt, ['sleep', '60']);
      assert.equal(cli(rt, ['pause', c.id]).status, 0, rt);
      assert.equal(status(rt, c.id), 'paused');
      assert.equal(cli(rt, ['kill', c.id, 'KILL']).status, 0, rt);
      waitFor(() => status(rt, c.id) === 'stopped', `the paused ${rt} container to die`);
      assert.equal(cli(rt, ['delete', c.id]).status, 0, rt);

      c = detached(rt, ['sleep', '60']);
      assert.equal(cli(rt, ['pause', c.id]).status, 0, rt);
      let r = cli(rt, ['delete', c.id]);
      assert.notEqual(r.status, 0, `${rt}: a paused container is not deleted without --force`);
      assert.match(r.stderr, rt === 'hako' ? /in state paused/ : /not stopped: paused/);
      // Without the thaw, delete gave up after 5 s of waiting for the frozen process to die.
      r = cli(rt, ['delete', '--force', c.id]);
      assert.equal(r.status, 0, `${rt}: ${r.stderr}`);
      assert.notEqual(cli(rt, ['state', c.id]).status, 0, `${rt}: gone`);
    }
  });

  it('delete --force of a container that does not exist succeeds; plain delete says "does not exist"', () => {
    for (const rt of runtimes) {
      let r = cli(rt, ['delete', '--force', 'no-such-container']);
      assert.equal(r.status, 0, `${rt}: ${r.stderr}`);
      assert.equal(r.stderr, '', rt);
      r = cli(rt, ['delete', 'no-such-container']);
      assert.equal(r.status, 1, rt);
      assert.match(r.stderr, /does not exist/, rt);
    }
  });
});
