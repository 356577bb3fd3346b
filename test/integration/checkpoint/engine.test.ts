// `hako checkpoint` / `hako restore` (podman's flags): a detached container counting in a shell
// variable is checkpointed (with --export), restored under its name, and restored again from the
// archive under a new name: each time its log goes on from the value in memory, not from 1.
// Skipped where criu cannot run (`criu check`); scripts/test-vm.sh runs it on Debian's 6.1 kernel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineSkip, IMAGE, useEngineEnv, type EngineEnv } from '../engine/harness.js';
import { NO_CRIU } from './criu.js';

const skip = engineSkip || NO_CRIU;
let env: EngineEnv;
useEngineEnv(engineSkip, (e) => {
  env = e;
});

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.2; done';

/** The numbers the container printed, in order. */
function counted(ref: string): number[] {
  return env.ok(['logs', ref]).split('\n').filter(Boolean).map(Number);
}

const ids = new Map<string, string>();

/** The last number in conmon's log file (k8s-file: `TIME stdout F TEXT`), read directly while
 *  waiting: a `hako logs` process per poll costs seconds in the emulated VM. */
function last(ref: string): number {
  if (!ids.has(ref)) ids.set(ref, env.inspect(ref).Id);
  let text = '';
  try {
    text = fs.readFileSync(path.join(env.root, 'containers', ids.get(ref)!, 'container.log'), 'utf8');
  } catch {
    return 0;
  }
  return Number(text.trim().split('\n').at(-1)?.split(' ')[3]) || 0;
}

describe('engine checkpoint and restore (criu)', { skip }, () => {
  it('a counting container restored under its name, then from --export under a new name, counts on', async () => {
    const archive = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hako-ckpt-')), 'counter.tar.gz');
    try {
      env.ok(['run', '-d', '--name', 'counter', '--network', 'none', IMAGE, 'sh', '-c', COUNTER]);
      await env.until('the counter to reach 3', () => last('counter') >= 3);
      assert.equal(env.ok(['checkpoint', '--export', archive, 'counter']).trim(), 'counter');
      assert.equal(env.inspect('counter').State.Status, 'exited');
      const atCheckpoint = last('counter');
      assert.ok(fs.statSync(archive).size > 0, 'the archive is written');

      assert.equal(env.ok(['restore', '--keep', 'counter']).trim(), 'counter');
      assert.equal(env.inspect('counter').State.Status, 'running');
      await env.until('the restored counter to go on', () => last('counter') > atCheckpoint + 2);
      const seen = counted('counter');
      assert.deepEqual(
        seen,
        seen.map((_, i) => i + 1),
        'one run of numbers, never from 1 again',
      );
      env.ok(['rm', '-f', 'counter']);
      ids.delete('counter');

      assert.equal(env.ok(['restore', '--import', archive, '--name', 'copy']).trim(), 'copy');
      assert.equal(env.inspect('copy').State.Status, 'running');
      await env.until('the copy to count', () => last('copy') > atCheckpoint + 1);
      assert.equal(counted('copy')[0], atCheckpoint + 1, 'the copy goes on from the checkpoint');
      env.ok(['rm', '-f', 'copy']);
    } finally {
      fs.rmSync(path.dirname(archive), { recursive: true, force: true });
    }
  });
});

describe('engine restore without a checkpoint (no criu needed)', { skip: engineSkip }, () => {
  it('restore of a container without a checkpoint, or from a garbage archive, fails in one line', () => {
    env.ok(['create', '--name', 'plain', IMAGE, 'true']);
    const plain = env.hako(['restore', 'plain']);
    assert.equal(plain.code, 1);
    assert.equal(plain.stderr, 'hako: container plain has no checkpoint to restore (hako checkpoint plain makes one)\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-ckpt-'));
    try {
      const garbage = path.join(dir, 'garbage.tar.gz');
      fs.writeFileSync(garbage, 'not a tar.gz');
      const r = env.hako(['restore', '--import', garbage, '--name', 'never']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^hako: --import .*garbage\.tar\.gz: /);
      assert.notEqual(env.hako(['inspect', 'never']).code, 0, 'no container was made');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    env.ok(['rm', 'plain']);
  });
});
