// Rootless limits on cgroup v2 with a delegated subtree (run in the pure v2 VM: scripts/test-vm.sh).
// The set-up delegates a cgroup to an ordinary user the way systemd delegates user@UID.service: the
// directory, cgroup.procs, cgroup.threads and cgroup.subtree_control owned by the user, memory, pids
// and cpu enabled in its parent and in its own subtree_control, and the user's process in a child of
// it (systemd's init.scope). The user's containers then get the limits, read back from inside. Off
// the VM (cgroup v1 or hybrid, no delegation) the limit flags fail in one line and the rest works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../engine/harness.js';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';
import { defaultSpec } from '../../../src/oci/default.js';
import { detectLayout, findDelegation } from '../../../src/cgroups/index.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';

const HAKO = path.join(REPO, 'bin', 'hako');
const CG = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'pids', 'cpu'];
const v2 = detectLayout() === 'v2';
const skip = rootlessUserSkip() || (!fs.existsSync(HAKO) && 'dist/hako is not built (npm run build)');

/** Makes <CG>/<slice>/user@UID.service delegated to `user`, with `init.scope` for its processes. */
function delegate(user: RootlessUser, slice: string): { dir: string; init: string } {
  const write = (file: string, text: string) => fs.writeFileSync(file, text);
  write(path.join(CG, 'cgroup.subtree_control'), CONTROLLERS.map((c) => `+${c}`).join(' '));
  fs.mkdirSync(path.join(CG, slice));
  write(path.join(CG, slice, 'cgroup.subtree_control'), CONTROLLERS.map((c) => `+${c}`).join(' '));
  const dir = path.join(CG, slice, `user@${user.uid}.service`);
  fs.mkdirSync(dir);
  for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) fs.chownSync(path.join(dir, f), user.uid, user.gid);
  write(path.join(dir, 'cgroup.subtree_control'), CONTROLLERS.map((c) => `+${c}`).join(' '));
  const init = path.join(dir, 'init.scope');
  fs.mkdirSync(init);
  for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) fs.chownSync(path.join(init, f), user.uid, user.gid);
  return { dir, init };
}

/** Removes a cgroup tree bottom-up (directories only: cgroupfs files go with them). */
function removeCgroupTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  fs.rmdirSync(dir);
}

describe('rootless limits on cgroup v2 with a delegated subtree', { skip: skip || (!v2 && 'needs pure cgroup v2 (the VM: scripts/test-vm.sh)') }, () => {
  let user: RootlessUser;
  let deleg: { dir: string; init: string };
  const slice = `hako-test-${process.pid}.slice`;

  /** The user's store: in /tmp, a tmpfs in the VM (the VM's / is an overlay itself, and overlayfs
   *  refuses an upper directory on overlayfs inside a user namespace). */
  let dataHome = '';

  before(() => {
    user = RootlessUser.create('hkcg');
    deleg = delegate(user, slice);
    dataHome = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-data-'));
    fs.chownSync(dataHome, user.uid, user.gid);
  });
  after(async () => {
    if (!user) return;
    const left = await user.lingering();
    user.remove();
    fs.rmSync(dataHome, { recursive: true, force: true });
    const kids = fs.existsSync(path.join(deleg.dir, 'hako'))
      ? fs.readdirSync(path.join(deleg.dir, 'hako')).filter((e) => !e.startsWith('cgroup.') && fs.statSync(path.join(deleg.dir, 'hako', e)).isDirectory())
      : [];
    removeCgroupTree(path.join(CG, slice));
    assert.deepEqual(left, [], 'the user has processes left');
    assert.deepEqual(kids, [], 'container cgroups left in the delegation');
  });

  /** Runs a command as the user inside the delegation's init.scope. */
  const asUser = (argv: string[]) => user.run(argv, { cgroup: deleg.init });

  it('finds the delegation from /proc/self/cgroup, as the user', () => {
    const r = asUser([
      process.execPath,
      '-e',
      `import('${path.join(REPO, 'build/src/cgroups/index.js')}').then(m => console.log(JSON.stringify(m.findDelegation())))`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.parent, `/${slice}/user@${user.uid}.service`);
    for (const c of CONTROLLERS) assert.ok(d.controllers.includes(c), `${c} in ${d.controllers}`);
  });

  it('hako runtime: memory, pids and cpu limits below the delegation, read from inside', () => {
    const b = fs.mkdtempSync(path.join(user.home, 'cg-'));
    makeBusyboxRootfs(path.join(b, 'rootfs'));
    const spec = defaultSpec({ rootless: true, uid: user.uid, gid: user.gid });
    spec.process!.terminal = false;
    // The host's /sys (runc's rootless spec binds it) and no cgroup namespace: the container finds
    // its cgroup's files by the path /proc/self/cgroup names.
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    spec.process!.args = ['sh', '-c', 'p=$(cut -d: -f3 /proc/self/cgroup); echo $p; cd /sys/fs/cgroup$p && cat memory.max pids.max cpu.max'];
    spec.linux!.cgroupsPath = `/${slice}/user@${user.uid}.service/hako/rt1`;
    spec.linux!.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 }, cpu: { quota: 50000, period: 100000 } };
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec));
    chownTree(b, user);
    const r = asUser([HAKO, 'runtime', 'run', '--bundle', b, 'rt1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.trim().split('\n'), [`/${slice}/user@${user.uid}.service/hako/rt1`, '67108864', '50', '50000 100000']);
    assert.ok(!fs.existsSync(path.join(deleg.dir, 'hako', 'rt1')), 'the container cgroup is removed with the container');
  });

  it('hako run -m --pids-limit --cpus as the user: the limits from inside, the cgroup gone after rm', () => {
    const env = { XDG_DATA_HOME: dataHome };
    const r = user.run(
      [
        HAKO,
        'run',
        '--rm',
        '--network',
        'none',
        '-m',
        '64m',
        '--pids-limit',
        '50',
        '--cpus',
        '0.5',
        'hako.local/busybox',
        'sh',
        '-c',
        'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max',
      ],
      { cgroup: deleg.init, env, timeout: 240_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0::/', '67108864', '50', '50000 100000']);
    const left = fs.existsSync(path.join(deleg.dir, 'hako'))
      ? fs.readdirSync(path.join(deleg.dir, 'hako')).filter((e) => fs.statSync(path.join(deleg.dir, 'hako', e)).isDirectory())
      : [];
    assert.deepEqual(left, [], 'no container cgroup left below the delegation');
  });

  it('hako run -m outside the delegation: one line naming why', () => {
    const r = user.run([HAKO, 'run', '--rm', '--network', 'none', '-m', '64m', 'hako.local/busybox', 'true'], {
      env: { XDG_DATA_HOME: dataHome },
    });
    assert.equal(r.code, 125);
    assert.match(
      r.stderr,
      /^hako: --memory: rootless limits need cgroup v2 with a subtree delegated to uid \d+ \(systemd's user@\.service\): our cgroup \S+ is not the user's\n$/,
    );
  });

  it('the same limits outside the delegation: one line naming why, nothing created', () => {
    const b = fs.mkdtempSync(path.join(user.home, 'cg-'));
    makeBusyboxRootfs(path.join(b, 'rootfs'));
    const spec = defaultSpec({ rootless: true, uid: user.uid, gid: user.gid });
    spec.process!.terminal = false;
    spec.process!.args = ['true'];
    spec.linux!.cgroupsPath = '/hako-not-delegated/rt2';
    spec.linux!.resources = { pids: { limit: 50 } };
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec));
    chownTree(b, user);
    const r = user.run([HAKO, 'runtime', 'run', '--bundle', b, 'rt2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^hako: .*linux\.resources.*rootless, and no writable cgroup tree \(\/sys\/fs\/cgroup\): limits cannot be applied\n$/);
    assert.ok(!fs.existsSync(path.join(CG, 'hako-not-delegated')));
  });
});

describe('rootless limits without delegation', { skip: skip || (v2 && 'this host has cgroup v2: the delegated case runs here instead') }, () => {
  it('findDelegation says why in one line', () => {
    const d = findDelegation({ uid: 4242 });
    assert.ok('reason' in d);
    assert.match(d.reason, /cgroup v1|not delegated/);
  });
});

function chownTree(p: string, user: RootlessUser): void {
  fs.lchownSync(p, user.uid, user.gid);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), user);
}
