// --preserve-fds in the plan (first op, close_fds above the preserved range) and the parsing of
// exec --cgroup flags (which paths stay inside the container's cgroup).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan } from '../../../src/runtime/plan/compile.js';
import { compileExecPlan } from '../../../src/runtime/plan/exec.js';
import { parseSubCgroups } from '../../../src/runtime/exec-cgroup.js';
import { defaultSpec } from '../../../src/oci/default.js';

const spec = defaultSpec();
spec.process!.terminal = false;

describe('preserve_fds in plans', () => {
  it('exec: preserve_fds first, close_fds from 3+N', () => {
    const ops = compileExecPlan(spec, spec.process!, { pid: 42, forkMode: 'wait', preserveFds: { first: 5, count: 2 } });
    assert.deepEqual(ops[0], ['preserve_fds', '5', '2']);
    assert.deepEqual(
      ops.filter((o) => o[0] === 'close_fds'),
      [['close_fds', '5']],
    );
  });
  it('create: the same; without it, close_fds from 3 and no preserve_fds', () => {
    const ctx = { rootfs: '/b/rootfs', bundle: '/b', fifo: '/f', forkMode: 'exit' as const };
    const ops = compilePlan(spec, { ...ctx, preserveFds: { first: 5, count: 3 } });
    assert.deepEqual(ops[0], ['preserve_fds', '5', '3']);
    assert.deepEqual(
      ops.filter((o) => o[0] === 'close_fds'),
      [['close_fds', '6']],
    );
    const plain = compilePlan(spec, ctx);
    assert.equal(
      plain.some((o) => o[0] === 'preserve_fds'),
      false,
    );
    assert.deepEqual(
      plain.filter((o) => o[0] === 'close_fds'),
      [['close_fds']],
    );
  });
});

describe('exec --cgroup flags', () => {
  it('PATH for every hierarchy, CONTROLLER[,CONTROLLER]:PATH for some', () => {
    assert.deepEqual([...parseSubCgroups(['a/./b/'])], [['', 'a/b']]);
    assert.deepEqual(
      [...parseSubCgroups(['memory,pids:x', 'cpu:y'])],
      [
        ['memory', 'x'],
        ['pids', 'x'],
        ['cpu', 'y'],
      ],
    );
  });
  it('joins the path onto the container\'s cgroup as runc does: "/x" is below it, ".." inside it is fine', () => {
    assert.deepEqual([...parseSubCgroups(['/abs'])], [['', 'abs']]);
    assert.deepEqual([...parseSubCgroups(['a/../b'])], [['', 'b']]);
    for (const own of ['', '.', 'a/..', '/']) assert.deepEqual([...parseSubCgroups([own])], [['', '']], JSON.stringify(own));
    assert.deepEqual([...parseSubCgroups(['memory:'])], [['memory', '']]);
  });
  it("refuses paths that leave the container's cgroup, a plain path among others, and repeats", () => {
    for (const bad of ['..', '../x', 'a/../../x', ':x', 'memory:../x', 'a\0b', 'a:b:c']) {
      assert.throws(() => parseSubCgroups([bad]), /^HakoError: exec: --cgroup /, JSON.stringify(bad));
    }
    assert.throws(() => parseSubCgroups(['x', 'memory:y']), /a path without a controller must be the only --cgroup/);
    assert.throws(() => parseSubCgroups(['memory:a', 'memory:b']), /controller memory is given twice/);
  });
});
