// `hako runtime checkpoint` / `restore` (criu), compared with runc's in the same test: a busybox
// container counting in a shell variable (memory only) writes each value to a host directory bound
// into it (an external mount for criu); after restore it goes on from where it was, not from 1.
// criu 3.17 cannot run on every kernel (`criu check`): there the tests skip with its reason, and
// scripts/test-vm.sh runs this file on Debian's 6.1 kernel, where it can.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Harness, RUNC, NO_RUNC, waitFor, mountsUnder, type Result } from '../runtime/harness.js';
import { NO_CRIU } from './criu.js';

const h = new Harness();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-criu-'));
after(() => {
  h.cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /out/count; sleep 0.1; done';

type Runtime = 'hako' | 'runc';

/** A counting container's bundle, with its own output directory bound at /out. */
function counter(): { bundle: string; out: string } {
  const out = fs.mkdtempSync(path.join(scratch, 'out-'));
  const bundle = h.bundle(['sh', '-c', COUNTER], (spec) => {
    spec.mounts!.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  });
  return { bundle, out };
}

function count(out: string): number {
  try {
    return Number(fs.readFileSync(path.join(out, 'count'), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function cli(rt: Runtime, args: string[]): Result {
  return rt === 'hako' ? h.hako(args) : h.runc(args);
}

/** `run -d`: the container's stdio is /dev/null (made its own /dev/null by both runtimes), which
 *  criu can dump; a file of the host's (the harness's hakoDetached) is outside the container. */
function detached(rt: Runtime, args: string[]): Result {
  const opts = { stdio: 'ignore' as const };
  return rt === 'hako' ? h.hako(args, opts) : h.runc(args, opts);
}

function ok(r: Result, what: string): void {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
}

/** Waits until the counter has passed `n`. */
function countsPast(out: string, n: number, what: string): number {
  waitFor(() => count(out) > n, what);
  return count(out);
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** run -d and count; checkpoint --leave-running (it counts on), checkpoint (it stops), restore -d
 *  (it counts on from the second checkpoint); delete, and restore the first images under a new id
 *  (it counts on from the first). */
function checkpointRestore(rt: Runtime): void {
  const { bundle, out } = counter();
  const id = h.id(rt);
  const [early, late] = ['early', 'late'].map((n) => path.join(scratch, `${id}.${n}`));
  ok(detached(rt, ['run', '-d', '--bundle', bundle, id]), `${rt} run -d`);
  const beforeEarly = countsPast(out, 3, `${rt}: the counter to start`);
  ok(cli(rt, ['checkpoint', '--leave-running', '--image-path', early, id]), `${rt} checkpoint --leave-running`);
  assert.equal(JSON.parse(cli(rt, ['state', id]).stdout).status, 'running', `${rt}: running after --leave-running`);
  const afterEarly = countsPast(out, count(out) + 2, `${rt}: the counter to go on after --leave-running`);
  ok(cli(rt, ['checkpoint', '--image-path', late, id]), `${rt} checkpoint`);
  assert.notEqual(cli(rt, ['state', id]).status, 0, `${rt}: the container is gone after checkpoint`);
  const atLate = count(out);
  pause(400);
  assert.equal(count(out), atLate, `${rt}: nothing counts while checkpointed`);
  ok(cli(rt, ['restore', '-d', '--image-path', late, '--bundle', bundle, id]), `${rt} restore -d`);
  assert.equal(JSON.parse(cli(rt, ['state', id]).stdout).status, 'running', `${rt}: running after restore`);
  const next = countsPast(out, atLate, `${rt}: the counter to go on after restore`);
  // A fresh start would count from 1; the restored shell goes on from its value in memory.
  assert.ok(next > atLate && next <= atLate + 20, `${rt}: counted on from ${atLate}, got ${next}`);
  ok(cli(rt, ['delete', '--force', id]), `${rt} delete`);
  fs.writeFileSync(path.join(out, 'count'), '0');
  const copy = h.id(`${rt}-copy`);
  ok(cli(rt, ['restore', '-d', '--image-path', early, '--bundle', bundle, copy]), `${rt} restore -d as a new id`);
  const restored = countsPast(out, 0, `${rt}: the copy to count`);
  assert.ok(restored > beforeEarly && restored < afterEarly + 20, `${rt}: the copy counts on from ${beforeEarly}.., got ${restored}`);
  ok(cli(rt, ['delete', '--force', copy]), `${rt} delete the copy`);
  assert.deepEqual(mountsUnder(bundle), [], `${rt}: no mount left in the bundle`);
}

describe('runtime checkpoint and restore (criu)', { skip: NO_CRIU }, () => {
  it('a counting container counts on after checkpoint (and --leave-running) and restore, as under runc', (t) => {
    checkpointRestore('hako');
    if (!RUNC) return t.diagnostic(NO_RUNC);
    checkpointRestore('runc');
  });

  it('restore from images that are not criu images fails in one line and leaves nothing', () => {
    const { bundle } = counter();
    const images = fs.mkdtempSync(path.join(scratch, 'garbage-'));
    fs.writeFileSync(path.join(images, 'descriptors.json'), '["/dev/null","/dev/null","/dev/null"]');
    fs.writeFileSync(path.join(images, 'inventory.img'), 'not a criu image');
    const id = h.id('garbage');
    const r = h.hako(['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^hako: criu restore failed/);
    assert.match(h.hako(['state', id]).stderr, /does not exist/);
    assert.deepEqual(mountsUnder(h.root), []);
    assert.deepEqual(mountsUnder(bundle), []);
  });
});

describe('runtime restore without a checkpoint', () => {
  it('a missing or empty image directory fails in one line and leaves nothing (no criu needed)', { skip: process.geteuid?.() !== 0 && 'needs root' }, () => {
    const own = new Harness(); // a state root of its own: nothing of the tests above in it
    try {
      const bundle = own.bundle(['true']);
      for (const images of [path.join(scratch, 'missing'), fs.mkdtempSync(path.join(scratch, 'empty-'))]) {
        const id = own.id('none');
        const r = own.hako(['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`^hako: --image-path ${images}: `));
        assert.match(own.hako(['state', id]).stderr, /does not exist/);
        assert.deepEqual(
          fs.readdirSync(own.root).filter((n) => !n.startsWith('.')),
          [],
        );
      }
    } finally {
      own.cleanup();
    }
  });
});
