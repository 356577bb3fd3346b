// Rootless bind sources only the caller can reach: an ordinary user (uid 1000, with a supplementary
// group) runs a `spec --rootless` bundle binding a 0700 directory of its own, a directory it may
// enter only through its group, and a file beneath a 0700 directory. Each case runs under hako and,
// in the same test, under runc: the same mounts work and the process sees the same files and groups.
// Container root is the caller (the only rootless mapping runc 1.1 accepts: it chowns its exec FIFO
// to container root, as hako does), so the mounts made inside the user namespace are made with the
// caller's own access; runc does not pre-open mount sources for rootless callers either
// (shouldSendMountSources). With newgidmap ranges setgroups is allowed, and the caller's groups
// must still survive (runc never calls setgroups rootless).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAKO, NO_RUNC, RUNC } from './harness.js';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';
import { defaultSpec } from '../../../src/oci/default.js';

const UID = 1000;
const GROUP = 4242; // a supplementary group given to the caller only (no /etc/group entry needed)
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
const hasUser = fs
  .readFileSync('/etc/passwd', 'utf8')
  .split('\n')
  .some((l) => l.split(':')[2] === String(UID));
const NEWUIDMAP = ['/usr/bin/newuidmap', '/bin/newuidmap'].find((p) => fs.existsSync(p));
const skip = !SETPRIV ? 'setpriv is missing (Debian package util-linux)' : !hasUser ? `no user with uid ${UID} on this host to run as` : false;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-bind-'));
const SUBID = `${UID}:300000:65536\n`;
let addedSubids = false;

/** Runs a runtime as the ordinary user, with its supplementary group. */
function asUser(argv: string[], cwd: string) {
  const r = spawnSync(SETPRIV!, ['--reuid', String(UID), '--regid', String(UID), '--groups', `${UID},${GROUP}`, '--', ...argv], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: path.join(dir, 'run') },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A rootless bundle binding the three sources, with the given uid/gid ranges beyond the caller's. */
function bundle(name: string, ranges: boolean): string {
  const b = path.join(dir, name);
  fs.mkdirSync(b);
  makeBusyboxRootfs(path.join(b, 'rootfs'));
  for (const m of ['a', 'b', 'c']) fs.mkdirSync(path.join(b, 'rootfs/mnt', m), { recursive: true });
  fs.writeFileSync(path.join(b, 'rootfs/mnt/c/file'), '');
  const spec = defaultSpec({ rootless: true, uid: UID, gid: UID });
  if (ranges) {
    spec.linux!.uidMappings = [
      { containerID: 0, hostID: UID, size: 1 },
      { containerID: 1, hostID: 300000, size: 65536 },
    ];
    spec.linux!.gidMappings = [
      { containerID: 0, hostID: UID, size: 1 },
      { containerID: 1, hostID: 300000, size: 65536 },
    ];
  }
  spec.process!.terminal = false;
  spec.process!.args = ['sh', '-c', 'cat /mnt/a/inner/f /mnt/b/inner/f /mnt/c/file; id -G'];
  spec.mounts!.push(
    { destination: '/mnt/a', type: 'bind', source: path.join(dir, 'private'), options: ['rbind', 'ro'] },
    { destination: '/mnt/b', type: 'bind', source: path.join(dir, 'viagroup'), options: ['rbind', 'ro'] },
    { destination: '/mnt/c/file', type: 'bind', source: path.join(dir, 'home/file'), options: ['bind', 'ro'] },
  );
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec, null, 2));
  chownTree(b);
  return b;
}

function chownTree(p: string): void {
  fs.lchownSync(p, UID, UID);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e));
}

function writeFile(file: string, text: string, uid: number, gid: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.chownSync(file, uid, gid);
  fs.chownSync(path.dirname(file), uid, gid);
}

before(() => {
  if (skip) return;
  fs.chmodSync(dir, 0o755);
  // Reachable by the caller alone: a 0700 directory of its own; a 0750 directory of root's whose
  // group only the caller has; a file in a 0700 directory.
  writeFile(path.join(dir, 'private/inner/f'), 'private\n', UID, UID);
  fs.chownSync(path.join(dir, 'private'), UID, UID);
  fs.chmodSync(path.join(dir, 'private'), 0o700);
  writeFile(path.join(dir, 'viagroup/inner/f'), 'group\n', 0, GROUP);
  fs.chownSync(path.join(dir, 'viagroup'), 0, GROUP);
  fs.chmodSync(path.join(dir, 'viagroup'), 0o750);
  fs.chmodSync(path.join(dir, 'viagroup/inner'), 0o750);
  writeFile(path.join(dir, 'home/file'), 'file\n', UID, UID);
  fs.chmodSync(path.join(dir, 'home'), 0o700);
  fs.mkdirSync(path.join(dir, 'run'));
  fs.chownSync(path.join(dir, 'run'), UID, UID);
});

after(() => {
  if (addedSubids) {
    for (const f of ['/etc/subuid', '/etc/subgid']) fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(SUBID, ''));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The runtimes to compare: hako, then runc when installed. */
function runBoth(b: string, id: string) {
  const hako = asUser([HAKO, 'runtime', 'run', id], b);
  const runc = RUNC ? asUser([RUNC, '--root', path.join(dir, 'run/runc'), 'run', id], b) : undefined;
  return { hako, runc };
}

describe('rootless bind sources only the caller can reach', { skip }, () => {
  it('the caller mapped alone (spec --rootless): every source is mounted and readable, as with runc', (t) => {
    const { hako, runc } = runBoth(bundle('single', false), 'rl-single');
    assert.equal(hako.status, 0, hako.stderr);
    // Its group stays (unmapped inside: the overflow gid), so the group's directory is readable.
    assert.equal(hako.stdout, 'private\ngroup\nfile\n0 65534\n');
    if (!runc) return t.diagnostic(NO_RUNC);
    assert.equal(runc.status, 0, runc.stderr);
    assert.equal(hako.stdout, runc.stdout);
  });

  it("with newuidmap/newgidmap ranges (setgroups allowed) the caller's groups survive too, as with runc", (t) => {
    if (!NEWUIDMAP) return t.skip('newuidmap is missing (Debian package uidmap)');
    for (const f of ['/etc/subuid', '/etc/subgid']) fs.appendFileSync(f, SUBID);
    addedSubids = true;
    const { hako, runc } = runBoth(bundle('ranges', true), 'rl-ranges');
    assert.equal(hako.status, 0, hako.stderr);
    assert.equal(hako.stdout, 'private\ngroup\nfile\n0 65534\n');
    if (!runc) return t.diagnostic(NO_RUNC);
    assert.equal(runc.status, 0, runc.stderr);
    assert.equal(hako.stdout, runc.stdout);
  });
});
