// `--runtime runc` and `--runtime crun` as an ordinary user (issue 19): the runtime makes the
// container's user namespace from the spec's maps (newuidmap/newgidmap), the layers are copied
// (only hako's runtime mounts the overlay inside the container), and without a delegated cgroup the
// spec asks for none (crun runs with --cgroup-manager=disabled). run -d, exec, the ids inside and
// outside, stop, rm, and the runtime's state in the user's runtime directory, gone afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../engine/harness.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';

const IMAGE = 'hako.local/busybox';
const installed = (tool: string) => spawnSync('/bin/sh', ['-c', `command -v ${tool}`]).status === 0;
const skip = rootlessUserSkip() || (!fs.existsSync('/usr/bin/conmon') && 'needs /usr/bin/conmon (Debian conmon)');

let user: RootlessUser;
let HAKO = '';

before(() => {
  if (skip) return;
  user = RootlessUser.create('hkrt');
  HAKO = user.installation(REPO).hako;
});
after(async () => {
  if (!user) return;
  const left = await user.lingering();
  user.remove();
  assert.deepEqual(left, [], 'the user has processes left');
});

/** crun refuses the hybrid layout's cgroup2 mount whatever it is asked (runtime-choice.test.ts
 *  runs it the same way): on such a host, a mount namespace without it, made by root and held by
 *  a sleeping process. Test scaffolding only: hako never enters namespaces by shelling out. */
async function withoutUnified(): Promise<{ wrap: string[]; close(): void }> {
  if (!fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers')) return { wrap: [], close: () => {} };
  const holder = spawn('unshare', ['-m', '--propagation', 'slave', 'sh', '-c', 'umount /sys/fs/cgroup/unified && echo ready && exec sleep 100000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', () => resolve());
  });
  assert.equal(holder.exitCode, null, 'the mount namespace without /sys/fs/cgroup/unified');
  return { wrap: ['nsenter', `--mount=/proc/${holder.pid}/ns/mnt`, '--'], close: () => holder.kill('SIGKILL') };
}

function lifecycle(runtime: string, wrap: string[]): void {
  const hako = (args: string[], leavesRunning = false) => user.run([HAKO, ...args], { wrap, leavesRunning, timeout: 120_000 });
  const ok = (args: string[], leavesRunning = false) => {
    const r = hako(args, leavesRunning);
    assert.equal(r.code, 0, `hako ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const name = `rt-${runtime}`;
  const id = ok(['run', '-d', '--name', name, '--runtime', runtime, '--network', 'none', IMAGE, 'sleep', '1000'], true).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(ok(['exec', name, 'id', '-u']).trim(), '0', 'root inside');
  const maps = ok(['exec', name, 'cat', '/proc/self/uid_map'])
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  assert.deepEqual(maps, [
    [0, user.uid, 1],
    [1, user.subidFirst, 65536],
  ]);
  const pid = Number(ok(['inspect', '-f', '{{.State.Pid}}', name]).trim());
  assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm'), "the user's uid outside");
  const runtimeState = path.join(user.runtimeDir, 'hako', `engine-${runtime}`);
  assert.ok(fs.readdirSync(runtimeState).includes(id), `${runtime}'s state is in the user's runtime directory`);
  // A file of uid 1000 inside is the subordinate id 999 past the range's start outside.
  ok(['exec', name, 'sh', '-c', 'echo x > /tmp/f && chown 1000 /tmp/f']);
  ok(['stop', '-t', '1', name]);
  assert.match(ok(['inspect', '-f', '{{.State.Status}}', name]), /exited/);
  ok(['start', name], true);
  assert.equal(ok(['exec', name, 'stat', '-c', '%u', '/tmp/f']).trim(), '1000', 'the copied root keeps what the container wrote');
  ok(['rm', '-f', name]);
  assert.deepEqual(fs.readdirSync(runtimeState), [], `nothing left of ${runtime}'s state`);
  assert.equal(ok(['ps', '-aq']), '');
}

test('--runtime runc as an ordinary user: run -d, exec, stop, start, rm', { skip: skip || (!installed('runc') && 'runc is not installed') }, () => {
  lifecycle('runc', []);
});

test('--runtime crun as an ordinary user: run -d, exec, stop, start, rm', { skip: skip || (!installed('crun') && 'crun is not installed') }, async () => {
  const ns = await withoutUnified();
  try {
    lifecycle('crun', ns.wrap);
  } finally {
    ns.close();
  }
});
