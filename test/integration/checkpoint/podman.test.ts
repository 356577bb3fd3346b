// podman's `container checkpoint` and `container restore` with hako as its runtime
// (`--runtime bin/hako-runtime`: podman probes `checkpoint --help`, then runs the runtime's
// `checkpoint`, and conmon its `restore --detach`): a counting container's log goes on from its
// value in memory (with HAKO_PODMAN_RUNC=1, runc's too). Private storage, state and network
// configuration under a temp directory; the image is hako's built-in busybox, from `hako save`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../runtime/harness.js';
import { NO_CRIU } from './criu.js';
import { processTempDir } from '../../fixtures/tmpdir.js';

const PODMAN = ['/usr/bin/podman'].find((p) => fs.existsSync(p));
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const IMAGE = 'hako.local/busybox:latest';
const skip = NO_CRIU || (!PODMAN && 'podman is not installed (Debian package podman)');
// Removed at exit also when the suite is skipped (its after() then never runs).
const work = processTempDir('hako-podman-ckpt-');
const cgroupParent = `hako-podman-ckpt-${process.pid}`;

function sh(cmd: string, args: string[], timeout = 120_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, cwd: work });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function podman(runtime: string, args: string[]) {
  const store = ['--root', `${work}/root`, '--runroot', `${work}/runroot`, '--tmpdir', `${work}/tmp`, '--network-config-dir', `${work}/net`];
  const setup = ['--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  return sh(PODMAN!, [...store, ...setup, '--runtime', runtime, ...args]);
}

function ok(r: { status: number | null; stderr: string }, what: string): void {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('podman container checkpoint/restore --runtime hako-runtime', { skip }, () => {
  before(() => {
    ok(sh(process.execPath, [path.join(REPO, 'scripts/builtin-image.mjs')]), 'built-in image');
    const archive = path.join(work, 'busybox.tar');
    ok(sh(path.join(REPO, 'bin/hako'), ['save', '-o', archive, IMAGE]), 'hako save');
    ok(podman(path.join(REPO, 'bin/hako-runtime'), ['load', '-i', archive]), 'podman load');
  });
  after(() => {
    podman(path.join(REPO, 'bin/hako-runtime'), ['rm', '-af', '-t', '0']);
    try {
      fs.rmdirSync(`/sys/fs/cgroup/${cgroupParent}`); // podman's parent of the containers' cgroups, empty now
    } catch {
      /* not made, or not cgroup v2 */
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('a counting container counts on after checkpoint and restore', async () => {
    // runc under podman does the same (checked by hand: HAKO_PODMAN_RUNC=1 adds it); the runtime
    // file compares hako's checkpoint/restore with runc's already, and the VM's time is short.
    const runtimes: [string, string][] = [['hako', path.join(REPO, 'bin/hako-runtime')]];
    if (RUNC && process.env.HAKO_PODMAN_RUNC === '1') runtimes.push(['runc', RUNC]);
    for (const [name, rt] of runtimes) {
      const c = `count-${name}`;
      const counter = 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.2; done';
      ok(podman(rt, ['run', '-d', '--name', c, '--network', 'none', '--cgroup-parent', `/${cgroupParent}`, IMAGE, 'sh', '-c', counter]), `${name}: run -d`);
      const counted = () => podman(rt, ['logs', c]).stdout.split('\n').filter(Boolean).map(Number);
      for (let i = 0; i < 300 && (counted().at(-1) ?? 0) < 3; i++) await sleep(100);
      ok(podman(rt, ['container', 'checkpoint', c]), `${name}: container checkpoint`);
      assert.equal(podman(rt, ['inspect', '--format', '{{.State.Status}}', c]).stdout.trim(), 'exited', name);
      const at = counted().at(-1)!;
      ok(podman(rt, ['container', 'restore', c]), `${name}: container restore`);
      for (let i = 0; i < 300 && (counted().at(-1) ?? 0) <= at + 1; i++) await sleep(100);
      const seen = counted();
      assert.ok(seen.at(-1)! > at, `${name}: counts on after ${at}: ${seen.join(' ')}`);
      assert.deepEqual(
        seen,
        seen.map((_, i) => i + 1),
        `${name}: one run of numbers, never from 1 again`,
      );
      ok(podman(rt, ['rm', '-f', '-t', '0', c]), `${name}: rm`);
    }
  });
});
