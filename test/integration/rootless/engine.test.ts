// The engine as an ordinary user (issue 19), as podman runs rootless: a user made for this file with
// a subordinate id range (useradd, /etc/subuid and /etc/subgid), and as that user (runuser) a pull
// from a local registry, run -d, exec, the ids inside against the host's view of the process, stop,
// rm, and nothing left in the user's store or runtime directory. Then what must be refused: limits
// without a delegated cgroup, a /tmp/hako-$UID made by someone else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAKO, IMAGE, REPO } from '../engine/harness.js';
import tar from 'tar-stream';
import { startRegistry, REGISTRY_BIN, type TestRegistry } from '../../fixtures/registry.js';

const isRoot = process.getuid?.() === 0;
const kernel = os.release().split('.').map(Number);
const skip =
  (!isRoot && 'needs root (to make the test user)') ||
  (!fs.existsSync('/usr/bin/newuidmap') && 'needs newuidmap (Debian uidmap)') ||
  (!fs.existsSync('/usr/bin/conmon') && 'needs /usr/bin/conmon (Debian conmon)') ||
  (!fs.existsSync(REGISTRY_BIN) && `needs ${REGISTRY_BIN} (Debian docker-registry)`) ||
  (!fs.existsSync('/usr/sbin/useradd') && 'needs useradd (Debian passwd)') ||
  ((kernel[0] < 5 || (kernel[0] === 5 && kernel[1] < 11)) && 'needs kernel >= 5.11 (overlayfs in a user namespace)');

const USER = `hakorl${process.pid % 100000}`;
let uid = 0;
let home = '';
let subuid = 0;
/** The user's $XDG_RUNTIME_DIR: a private directory of theirs, as systemd's /run/user/UID. */
let runDir = '';
/** Where the user runs hako from: the checkout, or a copy of the installation when the checkout is
 *  not readable by others (a CI clone under /root, say). */
let hako = HAKO;
let copied = '';
let registry: TestRegistry | undefined;
let rootStore = '';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hako ARGS` as the test user, with a clean environment (as a login would give). */
function asUser(args: string[], env: Record<string, string> = { XDG_RUNTIME_DIR: runDir }): Result {
  const vars = Object.entries({ HOME: home, PATH: '/usr/sbin:/usr/bin:/sbin:/bin', USER, ...env })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('runuser', ['-u', USER, '--', 'env', '-i', ...vars, hako, ...args], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

function okAsUser(args: string[]): string {
  const r = asUser(args);
  assert.equal(r.code, 0, `hako ${args.join(' ')} as ${USER}: ${r.stderr}`);
  return r.stdout;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The user's live processes, by /proc (never by name); zombies are dead already (this VM's init
 *  reaps what is reparented to it when it gets to it). */
function userProcesses(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.statSync(`/proc/${p}`).uid === uid && !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A range for the user: the one useradd gave (SUB_UID_* in login.defs), else one past every
 *  range listed, added with usermod (which locks the files against a concurrent useradd). */
function ensureSubids(): number {
  const mine = (file: string) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${USER}:`));
  if (!mine('/etc/subuid') || !mine('/etc/subgid')) {
    const ends = ['/etc/subuid', '/etc/subgid'].flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .map((l) => l.split(':'))
        .filter((p) => p.length === 3)
        .map((p) => Number(p[1]) + Number(p[2])),
    );
    const first = Math.max(100000, ...ends);
    sh('usermod', ['--add-subuids', `${first}-${first + 65535}`, '--add-subgids', `${first}-${first + 65535}`, USER]);
  }
  return Number(mine('/etc/subuid')!.split(':')[1]);
}

/** The installation is usable by the user as it is, or copied (bin/, dist/, native/hako-init). */
function installationFor(): string {
  if (spawnSync('runuser', ['-u', USER, '--', 'test', '-x', path.join(REPO, 'dist', 'hako')]).status === 0) return HAKO;
  copied = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-install-'));
  fs.chmodSync(copied, 0o755);
  for (const f of ['bin/hako', 'dist/hako', 'native/hako-init']) {
    fs.mkdirSync(path.join(copied, path.dirname(f)), { recursive: true, mode: 0o755 });
    fs.copyFileSync(path.join(REPO, f), path.join(copied, f));
    fs.chmodSync(path.join(copied, f), 0o755);
  }
  return path.join(copied, 'bin', 'hako');
}

before(async () => {
  if (skip) return;
  sh('useradd', ['-m', '-s', '/bin/sh', USER]);
  uid = Number(sh('id', ['-u', USER]).trim());
  home = sh('getent', ['passwd', USER]).split(':')[5];
  subuid = ensureSubids();
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-run-'));
  fs.chownSync(runDir, uid, uid);
  hako = installationFor();
  // The image the user pulls: the built-in one, pushed by root from a store of its own.
  registry = await startRegistry();
  rootStore = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-push-'));
  const root = (args: string[]) => sh(HAKO, ['--root', rootStore, ...args]);
  root(['pull', IMAGE]);
  root(['tag', IMAGE, `${registry.host}/rootless/bb:1`]);
  root(['push', `${registry.host}/rootless/bb:1`]);
});

after(async () => {
  if (skip) return;
  for (const pid of userProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  spawnSync('userdel', ['-r', '-f', USER]); // also its /etc/subuid and /etc/subgid entries
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const text = fs.readFileSync(f, 'utf8');
    if (text.includes(`${USER}:`))
      fs.writeFileSync(
        f,
        text
          .split('\n')
          .filter((l) => !l.startsWith(`${USER}:`))
          .join('\n'),
      );
  }
  await registry?.stop();
  for (const d of [runDir, rootStore, copied, uid && `/tmp/hako-${uid}`]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

/** The entries of a directory ([] when it does not exist). */
const entries = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

test('as an ordinary user: pull, run -d, exec, root inside is the user outside, stop, rm, nothing left', { skip }, () => {
  const ref = `${registry!.host}/rootless/bb:1`;
  okAsUser(['pull', ref]);
  const store = path.join(home, '.local', 'share', 'hako');
  assert.ok(fs.existsSync(path.join(store, 'images.json')), 'the image is in ~/.local/share/hako');
  assert.equal(fs.statSync(store).uid, uid, "the store is the user's");

  const id = okAsUser(['run', '-d', '--name', 'rl1', '--network', 'none', ref, 'sleep', '1000']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(okAsUser(['exec', 'rl1', 'id', '-u']).trim(), '0', 'root inside');
  const maps = okAsUser(['exec', 'rl1', 'cat', '/proc/self/uid_map'])
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  assert.deepEqual(maps, [
    [0, uid, 1],
    [1, subuid, 65536],
  ]);
  // The host's view of the same process: the user's uid, not root.
  const pid = Number(okAsUser(['inspect', '-f', '{{.State.Pid}}', 'rl1']).trim());
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
  // A file given to uid 1000 inside belongs to the subordinate id 999 past the range's start outside.
  okAsUser(['exec', 'rl1', 'sh', '-c', 'echo x > /tmp/f && chown 1000:1000 /tmp/f']);
  const upper = path.join(store, 'containers', id, 'fs', 'upper', 'tmp', 'f');
  assert.equal(fs.statSync(upper).uid, subuid + 999);
  assert.ok(fs.existsSync(path.join(runDir, 'hako', 'engine', id)), 'runtime state in $XDG_RUNTIME_DIR/hako');

  okAsUser(['stop', '-t', '1', 'rl1']);
  assert.match(okAsUser(['inspect', '-f', '{{.State.Status}}', 'rl1']), /exited/);
  okAsUser(['rm', 'rl1']);
  assert.deepEqual(entries(path.join(store, 'containers')), [], 'no container left in the store');
  assert.deepEqual(entries(path.join(runDir, 'hako', 'engine')), [], 'no runtime state left');
  const left = userProcesses().map((p) => `${p} ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
  assert.deepEqual(left, [], 'no process of the user left (conmon, the holder)');
});

test('as an ordinary user: --rm in the foreground, keep-id, and limits refused in one line', { skip }, () => {
  assert.equal(okAsUser(['run', '--rm', '--network', 'none', IMAGE, 'id', '-u']).trim(), '0');
  assert.equal(okAsUser(['run', '--rm', '--network', 'none', '--userns', 'keep-id', IMAGE, 'id', '-u']).trim(), String(uid));
  for (const flag of [
    ['-m', '64m'],
    ['--pids-limit', '10'],
    ['--cpus', '0.5'],
  ]) {
    const r = asUser(['run', '--rm', '--network', 'none', ...flag, IMAGE, 'true']);
    assert.equal(r.code, 125, `${flag[0]}: ${r.stderr}`);
    assert.match(r.stderr, /^hako: --\S+: rootless limits need cgroup v2 with a subtree delegated to uid \d+/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.deepEqual(entries(path.join(home, '.local', 'share', 'hako', 'containers')), []);
});

test('as an ordinary user: build (RUN, COPY), owners in the subordinate range, a file removed in a later step', { skip }, () => {
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-ctx-'));
  try {
    fs.chmodSync(ctx, 0o755);
    fs.writeFileSync(path.join(ctx, 'note.txt'), 'note\n', { mode: 0o644 });
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      [
        `FROM ${IMAGE}`,
        'RUN mkdir -p /home/app /data && echo a > /data/a && echo hi > /home/app/f && chown -R 1000:1000 /home/app',
        'COPY note.txt /data/',
        'RUN rm /data/a',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    okAsUser(['build', '-t', 'rl/built:1', ctx]);
    const out = okAsUser(['run', '--rm', '--network', 'none', 'rl/built:1', 'sh', '-c', 'stat -c "%u:%g %n" /home/app/f; ls /data']);
    assert.equal(out, '1000:1000 /home/app/f\nnote.txt\n', 'the owner kept, /data/a whited out, the COPY there');
    const layers = path.join(home, '.local', 'share', 'hako', 'layers');
    const owners = fs.readdirSync(layers).flatMap((l) => {
      const f = path.join(layers, l, 'home', 'app', 'f');
      return fs.existsSync(f) ? [fs.statSync(f).uid] : [];
    });
    assert.deepEqual(owners, [subuid + 999], "uid 1000 of the image is the range's id 999 on the host");
    okAsUser(['rmi', 'rl/built:1']);
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
});

test('without subordinate ids: root alone is mapped, with a note; an id beyond it is refused naming /etc/subuid', { skip }, async () => {
  const range = `${subuid}-${subuid + 65535}`;
  sh('usermod', ['--del-subuids', range, '--del-subgids', range, USER]);
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-single-'));
  try {
    const r = asUser(['run', '--rm', '--network', 'none', IMAGE, 'cat', '/proc/self/uid_map']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split(/\s+/).map(Number), [0, uid, 1]);
    assert.match(r.stderr, new RegExp(`^hako: note: no entry for ${USER} in /etc/subuid and /etc/subgid: containers map only root`, 'm'));
    const u = asUser(['run', '--rm', '--network', 'none', '-u', '1000', IMAGE, 'true']);
    assert.equal(u.code, 125);
    assert.match(u.stderr, /hako: uid 1000 is not mapped: this user's containers hold uids 0-0 \(no entry in \/etc\/subuid\)/);
    // An image whose file belongs to uid 1000: refused when its layer is unpacked, naming the file.
    fs.chmodSync(ctx, 0o755);
    const pack = tar.pack();
    pack.entry({ name: 'owned', uid: 1000, gid: 1000, mode: 0o644 }, 'x');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    fs.writeFileSync(path.join(ctx, 'layer.tar'), Buffer.concat(chunks), { mode: 0o644 });
    okAsUser(['import', path.join(ctx, 'layer.tar'), 'rl/owned:1']);
    const o = asUser(['run', '--rm', '--network', 'none', 'rl/owned:1', '/owned']);
    assert.equal(o.code, 125);
    assert.match(o.stderr, /layer entry "?owned"?: uid 1000 is not mapped: this user's containers hold ids 0-0 \(no entry in \/etc\/subuid\)/);
    assert.equal(
      o.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('note:')).length,
      1,
      o.stderr,
    );
    okAsUser(['rmi', 'rl/owned:1']);
  } finally {
    sh('usermod', ['--add-subuids', range, '--add-subgids', range, USER]);
    fs.rmSync(ctx, { recursive: true, force: true });
  }
  assert.deepEqual(entries(path.join(home, '.local', 'share', 'hako', 'containers')), []);
});

test('without $XDG_RUNTIME_DIR: a private /tmp/hako-$UID with one note; one made by another user is refused', { skip }, () => {
  const fallback = `/tmp/hako-${uid}`;
  fs.rmSync(fallback, { recursive: true, force: true });
  const first = asUser(['run', '--rm', '--network', 'none', IMAGE, 'true'], { XDG_RUNTIME_DIR: '' });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, `hako: note: XDG_RUNTIME_DIR is not set: keeping runtime state in ${fallback}\n`);
  const st = fs.lstatSync(fallback);
  assert.ok(st.isDirectory() && st.uid === uid && (st.mode & 0o777) === 0o700, "private: the user's, 0700");
  fs.rmSync(fallback, { recursive: true, force: true });

  // Hostile: root (any other user) made the name first; the user's state must not go there.
  fs.mkdirSync(fallback, { mode: 0o700 });
  try {
    for (const [args, code] of [
      [['ps'], 1],
      [['run', '--rm', '--network', 'none', IMAGE, 'true'], 125],
      [['runtime', 'list'], 1],
    ] as const) {
      const r = asUser([...args], { XDG_RUNTIME_DIR: '' });
      assert.equal(r.code, code, `hako ${args.join(' ')}`);
      assert.match(r.stderr, new RegExp(`hako: state directory ${fallback} is owned by uid 0, not ${uid}: refusing it`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.deepEqual(fs.readdirSync(fallback), [], 'nothing written into it');
  } finally {
    fs.rmSync(fallback, { recursive: true, force: true });
  }
});
