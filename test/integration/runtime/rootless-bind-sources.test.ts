// Rootless bind sources only the caller can reach: an ordinary user (uid 1000, with a supplementary
// group) runs a `spec --rootless` bundle binding a 0700 directory of its own, a directory it may
// enter only through its group, and a file beneath a 0700 directory. Each case runs under hako and,
// in the same test, under runc: the same mounts work and the process sees the same files and groups.
// Container root is the caller (the only rootless mapping runc 1.1 accepts: it chowns its exec FIFO
// to container root, as hako does), so the mounts made inside the user namespace are made with the
// caller's own access; runc does not pre-open mount sources for rootless callers either
// (shouldSendMountSources). With newgidmap ranges setgroups is allowed, and the caller's groups
// must still survive (runc never calls setgroups rootless).
// hako also takes a mapping where container root is a subordinate uid and the caller a non-root
// uid inside (runc 1.1 refuses it: it cannot chown its exec FIFO to container root). The mounts are
// then made as that subordinate uid, so the bind sources are cloned (open_tree) right after the user
// and mount namespaces are made, while the process is still the caller on the host; the console
// socket is connected before any namespace is entered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAKO, NO_RUNC, RUNC } from './harness.js';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';
import { startConsoleReceiver } from '../../fixtures/console-receiver.js';
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

/** The id mappings: the caller alone as root, the caller as root with subordinate ranges, or
 *  subordinate ids with the caller as uid/gid 1000 inside (container root someone else). */
type Mapping = 'single' | 'ranges' | 'subordinate-root';
const MAPS: Record<Exclude<Mapping, 'single'>, { containerID: number; hostID: number; size: number }[]> = {
  ranges: [
    { containerID: 0, hostID: UID, size: 1 },
    { containerID: 1, hostID: 300000, size: 65536 },
  ],
  'subordinate-root': [
    { containerID: 0, hostID: 300000, size: 1000 },
    { containerID: 1000, hostID: UID, size: 1 },
    { containerID: 1001, hostID: 301000, size: 1000 },
  ],
};

/** A rootless bundle binding the three sources (and `extra`), with the given mapping. */
function bundle(name: string, mapping: Mapping, extra: { source: string; destination: string }[] = []): string {
  const b = path.join(dir, name);
  fs.mkdirSync(b);
  makeBusyboxRootfs(path.join(b, 'rootfs'));
  for (const m of ['a', 'b', 'c']) fs.mkdirSync(path.join(b, 'rootfs/mnt', m), { recursive: true });
  fs.writeFileSync(path.join(b, 'rootfs/mnt/c/file'), '');
  const spec = defaultSpec({ rootless: true, uid: UID, gid: UID });
  if (mapping !== 'single') {
    spec.linux!.uidMappings = MAPS[mapping];
    spec.linux!.gidMappings = MAPS[mapping];
  }
  if (mapping === 'subordinate-root') spec.process!.user = { uid: UID, gid: UID };
  for (const e of extra) fs.mkdirSync(path.join(b, 'rootfs', e.destination), { recursive: true });
  spec.process!.terminal = false;
  spec.process!.args = ['sh', '-c', `cat /mnt/a/inner/f /mnt/b/inner/f /mnt/c/file ${extra.map((e) => `${e.destination}/f`).join(' ')}; id -G`];
  spec.mounts!.push(
    { destination: '/mnt/a', type: 'bind', source: path.join(dir, 'private'), options: ['rbind', 'ro'] },
    { destination: '/mnt/b', type: 'bind', source: path.join(dir, 'viagroup'), options: ['rbind', 'ro'] },
    { destination: '/mnt/c/file', type: 'bind', source: path.join(dir, 'home/file'), options: ['bind', 'ro'] },
    ...extra.map((e) => ({ ...e, type: 'bind', options: ['rbind', 'ro'] })),
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
  // The caller's own directory with group root: only its owner may search it. Container root
  // (a subordinate uid) is not the owner, and gid 0 is not mapped, so its capabilities do not
  // reach it either.
  writeFile(path.join(dir, 'ownedonly/data/f'), 'owned\n', UID, UID);
  fs.chmodSync(path.join(dir, 'ownedonly/data'), 0o755);
  fs.chownSync(path.join(dir, 'ownedonly'), UID, 0);
  fs.chmodSync(path.join(dir, 'ownedonly'), 0o700);
  fs.mkdirSync(path.join(dir, 'run'));
  fs.chownSync(path.join(dir, 'run'), UID, UID);
});

after(() => {
  if (addedSubids) {
    for (const f of ['/etc/subuid', '/etc/subgid']) fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(SUBID, ''));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Gives the caller its subordinate ids (once; removed after the file). */
function addSubids(): void {
  if (addedSubids) return;
  for (const f of ['/etc/subuid', '/etc/subgid']) fs.appendFileSync(f, SUBID);
  addedSubids = true;
}

/** The runtimes to compare: hako, then runc when installed. */
function runBoth(b: string, id: string) {
  const hako = asUser([HAKO, 'runtime', 'run', id], b);
  const runc = RUNC ? asUser([RUNC, '--root', path.join(dir, 'run/runc'), 'run', id], b) : undefined;
  return { hako, runc };
}

describe('rootless bind sources only the caller can reach', { skip }, () => {
  it('the caller mapped alone (spec --rootless): every source is mounted and readable, as with runc', (t) => {
    const { hako, runc } = runBoth(bundle('single', 'single'), 'rl-single');
    assert.equal(hako.status, 0, hako.stderr);
    // Its group stays (unmapped inside: the overflow gid), so the group's directory is readable.
    assert.equal(hako.stdout, 'private\ngroup\nfile\n0 65534\n');
    if (!runc) return t.diagnostic(NO_RUNC);
    assert.equal(runc.status, 0, runc.stderr);
    assert.equal(hako.stdout, runc.stdout);
  });

  it("with newuidmap/newgidmap ranges (setgroups allowed) the caller's groups survive too, as with runc", (t) => {
    if (!NEWUIDMAP) return t.skip('newuidmap is missing (Debian package uidmap)');
    addSubids();
    const { hako, runc } = runBoth(bundle('ranges', 'ranges'), 'rl-ranges');
    assert.equal(hako.status, 0, hako.stderr);
    assert.equal(hako.stdout, 'private\ngroup\nfile\n0 65534\n');
    if (!runc) return t.diagnostic(NO_RUNC);
    assert.equal(runc.status, 0, runc.stderr);
    assert.equal(hako.stdout, runc.stdout);
  });

  it('with container root a subordinate uid, a source only the caller may reach is bound as the caller (runc refuses the mapping)', (t) => {
    if (!NEWUIDMAP) return t.skip('newuidmap is missing (Debian package uidmap)');
    addSubids();
    const extra = [{ source: path.join(dir, 'ownedonly/data'), destination: '/mnt/d' }];
    const { hako, runc } = runBoth(bundle('subroot', 'subordinate-root', extra), 'rl-subroot');
    assert.equal(hako.status, 0, hako.stderr);
    // The process is the caller (uid 1000 inside); its group 4242 is unmapped inside.
    assert.equal(hako.stdout, 'private\ngroup\nfile\nowned\n1000 65534\n');
    if (!runc) return t.diagnostic(NO_RUNC);
    assert.notEqual(runc.status, 0, `runc 1.1 refuses a rootless container root other than the caller: ${runc.stdout}`);
    t.diagnostic(`runc: ${runc.stderr.trim()}`);
  });
  it('with container root a subordinate uid, the console socket beneath a directory only the caller may search is connected as the caller', async (t) => {
    if (!NEWUIDMAP) return t.skip('newuidmap is missing (Debian package uidmap)');
    addSubids();
    const sockDir = path.join(dir, 'ownedonly/sock');
    fs.mkdirSync(sockDir);
    const sock = path.join(sockDir, 'console.sock');
    const out = path.join(sockDir, 'console.out');
    const { receiver, done } = await startConsoleReceiver(sock, out);
    t.after(() => receiver.kill()); // when hako fails, nothing ever connects
    fs.chownSync(sock, UID, UID);
    const b = bundle('subroot-tty', 'subordinate-root');
    const spec = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
    spec.process.terminal = true;
    spec.process.args = ['sh', '-c', 'echo tty $(id -u)'];
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec));
    const log = path.join(dir, 'subroot-tty.log');
    const fd = fs.openSync(log, 'w');
    const r = spawnSync(
      SETPRIV!,
      ['--reuid', String(UID), '--regid', String(UID), '--groups', `${UID},${GROUP}`, '--', HAKO, 'runtime', 'run', '-d', '--console-socket', sock, 'rl-tty'],
      {
        cwd: b,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, XDG_RUNTIME_DIR: path.join(dir, 'run') },
        timeout: 30_000,
      },
    );
    fs.closeSync(fd);
    assert.equal(r.status, 0, fs.readFileSync(log, 'utf8'));
    await done;
    assert.equal(fs.readFileSync(out, 'utf8').split('\n').slice(1).join('\n'), 'tty 1000\r\n');
    const del = asUser([HAKO, 'runtime', 'delete', '--force', 'rl-tty'], b);
    assert.equal(del.status, 0, del.stderr);
  });
});
