// hako as the runtime of real engines: podman (`podman --runtime bin/hako-runtime`) and
// containerd's runc shim (`ctr run --runc-binary bin/hako-runtime`), each compared with runc on the
// same host where runc is installed. Each engine gets private storage, state and sockets under a
// temp directory; containerd is started here and stopped at the end.
//
// The image is hako's built-in busybox, saved as an OCI archive with `hako save` and loaded into
// each engine (no registry, no network).
//
// This host lacks CAP_SYS_RESOURCE: podman's default nofile/nproc limits (1048576) cannot be
// raised by any runtime, runc included, so podman is given lower ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './harness.js';

const HAKO_RUNTIME = path.join(REPO, 'bin/hako-runtime');
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const IMAGE = 'hako.local/busybox:latest';

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (fs.existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}
function sh(cmd: string, args: string[], timeout = 60_000): Result {
  // In our temp dir: podman's conmon drops an `oom` file into its working directory.
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, cwd: work });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-engines-'));
let archive = '';
let archiveError = '';

/** Removes the cgroup NAME (an engine's parent, empty once its containers are gone) from every
 *  hierarchy: engines make the parents of their containers' cgroups and leave them. */
function removeCgroupParent(name: string): void {
  const roots = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : fs.readdirSync('/sys/fs/cgroup').map((d) => `/sys/fs/cgroup/${d}`);
  for (const root of roots) {
    const dir = path.join(root, name);
    if (!fs.existsSync(dir)) continue;
    const children = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const c of children)
      try {
        fs.rmdirSync(path.join(dir, c.name));
      } catch {
        /* busy: leave it */
      }
    try {
      fs.rmdirSync(dir);
    } catch {
      /* busy: leave it */
    }
  }
}

/** Detaches whatever an engine left mounted beneath our temp dir, deepest first, then removes it. */
function cleanupDir(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m?.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) sh('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
}

before(() => {
  // The built-in image (a no-op when present), then an OCI archive both engines load.
  let r = sh(process.execPath, [path.join(REPO, 'scripts/builtin-image.mjs')], 120_000);
  if (r.status !== 0) {
    archiveError = `built-in image: ${r.stderr.trim()}`;
    return;
  }
  archive = path.join(work, 'busybox.tar');
  r = sh(path.join(REPO, 'bin/hako'), ['save', '-o', archive, IMAGE]);
  if (r.status !== 0) archiveError = `hako save: ${r.stderr.trim()}`;
});
after(() => cleanupDir(work));

/** The runtimes to try: hako always, runc to compare with when installed. */
const runtimes = (): [string, string][] => [['hako', HAKO_RUNTIME], ...(RUNC ? [['runc', RUNC] as [string, string]] : [])];

// ---------------------------------------------------------------- podman
const PODMAN = which('podman');
describe('podman --runtime hako-runtime', { skip: PODMAN ? false : 'podman is not installed (Debian package podman; scripts/install-deps.sh)' }, () => {
  const dir = path.join(work, 'podman');
  const limits = hostLimits();
  // Containers' cgroups under a parent of our own (podman's default, libpod_parent, is shared).
  const cgroupParent = `hako-engines-podman-${process.pid}`;
  const podman = (runtime: string, args: string[], timeout?: number) =>
    sh(
      PODMAN!,
      [
        '--root',
        `${dir}/root`,
        '--runroot',
        `${dir}/runroot`,
        '--tmpdir',
        `${dir}/tmp`,
        '--network-config-dir',
        `${dir}/net`,
        '--storage-driver',
        'vfs',
        '--cgroup-manager',
        'cgroupfs',
        '--events-backend',
        'none',
        '--runtime',
        runtime,
        ...args,
      ],
      timeout,
    );
  const create = ['--network', 'none', '--cgroup-parent', `/${cgroupParent}`, ...limits];
  const run = (runtime: string, args: string[]) => podman(runtime, ['run', '--rm', ...create, ...args]);

  before(() => {
    assert.ok(archive, archiveError);
    const r = podman(HAKO_RUNTIME, ['load', '-i', archive]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    podman(HAKO_RUNTIME, ['rm', '-af', '-t', '0']);
    removeCgroupParent(cgroupParent);
  });

  it('run: output and exit status as with runc', () => {
    for (const [name, rt] of runtimes()) {
      const r = run(rt, [IMAGE, 'sh', '-c', 'echo hi from $(hostname | wc -c) chars; exit 7']);
      assert.equal(r.status, 7, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, 'hi from 13 chars\n', name);
    }
  });

  it('exec into a detached container, then pause and kill (137)', () => {
    for (const [name, rt] of runtimes()) {
      const c = `exec-${name}`;
      let r = podman(rt, ['run', '-d', '--name', c, ...create, IMAGE, 'sleep', '100']);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      try {
        r = podman(rt, ['exec', c, 'sh', '-c', 'echo exec $(id -u) $PPID']);
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
        assert.equal(r.stdout, 'exec 0 0\n', name);
        r = podman(rt, ['exec', c, 'no-such-program']);
        assert.equal(r.status, 127, `${name}: ${r.stderr}`);
        assert.equal(podman(rt, ['pause', c]).status, 0, name);
        assert.equal(podman(rt, ['inspect', '--format', '{{.State.Status}}', c]).stdout.trim(), 'paused', name);
        assert.equal(podman(rt, ['kill', c]).status, 0, name);
        r = podman(rt, ['wait', c]);
        assert.equal(r.stdout.trim(), '137', `${name}: ${r.stderr}`);
      } finally {
        podman(rt, ['rm', '-f', '-t', '0', c]);
      }
    }
  });

  it('a memory limit ends in the OOM killer: exit status 137', () => {
    for (const [name, rt] of runtimes()) {
      const r = run(rt, ['-m', '16m', '--memory-swap', '16m', IMAGE, 'sh', '-c', 'x=a; while true; do x=$x$x; done']);
      assert.equal(r.status, 137, `${name}: ${r.stderr}`);
    }
  });

  it('--read-only: the root is read-only, /tmp and /var/tmp are tmpfs (tmpcopyup)', () => {
    const script = 'touch /x 2>&1; echo data > /tmp/y && cat /tmp/y; grep -E " /(tmp|var/tmp) " /proc/mounts | cut -d" " -f2,3';
    for (const [name, rt] of runtimes()) {
      const r = run(rt, ['--read-only', IMAGE, 'sh', '-c', script]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, 'touch: /x: Read-only file system\ndata\n/tmp tmpfs\n/var/tmp tmpfs\n', name);
    }
  });

  it('--tmpfs over an image directory starts with its content (tmpcopyup)', () => {
    for (const [name, rt] of runtimes()) {
      const r = run(rt, ['--tmpfs', '/etc', IMAGE, 'sh', '-c', 'head -1 /etc/passwd; grep " /etc " /proc/mounts | cut -d" " -f3']);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, 'root:x:0:0:root:/root:/bin/sh\ntmpfs\n', name);
    }
  });
});

/** podman's --ulimit for nofile and nproc: values below what this host's processes have (see the top
 *  of the file; lowering a limit needs no capability). */
function hostLimits(): string[] {
  return ['--ulimit', 'nofile=16384:16384', '--ulimit', 'nproc=16384:16384'];
}

// ---------------------------------------------------------------- containerd
const CONTAINERD = which('containerd');
const CTR = which('ctr');
const missingContainerd = !CONTAINERD || !CTR || !which('containerd-shim-runc-v2');
describe('containerd runc shim with --runc-binary hako-runtime', {
  skip: missingContainerd ? 'containerd, ctr or containerd-shim-runc-v2 is not installed (Debian package containerd; scripts/install-deps.sh)' : false,
}, () => {
  const dir = path.join(work, 'containerd');
  const sock = path.join(dir, 'containerd.sock');
  const ns = `hako-test-${process.pid}`;
  let daemon: ChildProcess | undefined;
  const ctr = (args: string[], timeout?: number) => sh(CTR!, ['--address', sock, '-n', ns, ...args], timeout);
  let seq = 0;
  const id = (name: string) => `${name}-${++seq}`;
  // The runtime's state and ctr's FIFOs under our dir too (their defaults are in /run/containerd;
  // the shims' sockets stay there, removed as each shim exits).
  const runFlags = (runtime: string) => ['--runc-binary', runtime, '--runc-root', path.join(dir, 'runc'), '--fifo-dir', path.join(dir, 'fifo')];
  const run = (runtime: string, args: string[], cmd: string[]) => ctr(['run', '--rm', ...runFlags(runtime), ...args, IMAGE, id('run'), ...cmd]);
  const hadRunDir = fs.existsSync('/run/containerd');

  before(async () => {
    assert.ok(archive, archiveError);
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'config.toml');
    // Its own root, state and sockets; no CRI plugin (it would want CAP_SYS_RESOURCE for
    // oom_score_adj and a CNI set-up), nothing listening on TCP.
    fs.writeFileSync(
      config,
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[ttrpc]',
        `  address = "${sock}.ttrpc"`,
        '[debug]',
        '  address = ""',
        '[metrics]',
        '  address = ""',
        '',
      ].join('\n'),
    );
    const log = fs.openSync(path.join(dir, 'containerd.log'), 'w');
    daemon = spawn(CONTAINERD!, ['--config', config], { stdio: ['ignore', log, log], cwd: work });
    fs.closeSync(log);
    for (let i = 0; ctr(['version']).status !== 0; i++) {
      if (i > 100 || daemon.exitCode !== null)
        assert.fail(`containerd did not start: ${fs.readFileSync(path.join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = ctr(['image', 'import', archive]);
    assert.equal(r.status, 0, r.stderr);
  });

  after(async () => {
    if (!daemon) return;
    for (const task of ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
      ctr(['task', 'kill', '-s', 'KILL', task]);
      ctr(['task', 'rm', '-f', task]);
    }
    for (const c of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['container', 'rm', c]);
    const exited = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    // ctr puts containers in /<namespace>/<id>; the namespace's cgroup stays behind.
    removeCgroupParent(ns);
    // containerd made /run/containerd for its shims' sockets: remove what is left of it, if ours.
    if (!hadRunDir) {
      for (const d of ['s', 'fifo', 'runc', ''])
        try {
          fs.rmdirSync(path.join('/run/containerd', d));
        } catch {
          /* not empty or absent */
        }
    }
  });

  it('run: output and exit status as with runc', () => {
    for (const [name, rt] of runtimes()) {
      const r = run(rt, [], ['sh', '-c', 'echo hi; cat /proc/self/cgroup | grep -c . >/dev/null; exit 5']);
      assert.equal(r.stdout, 'hi\n', `${name}: ${r.stderr}`);
      assert.equal(r.status, 5, `${name}: ${r.stderr}`);
    }
  });

  it('exec into a running task, then pause and kill (137)', async () => {
    for (const [name, rt] of runtimes()) {
      const c = id(`exec-${name}`);
      let r = ctr(['run', '-d', ...runFlags(rt), IMAGE, c, 'sleep', '100']);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      try {
        r = ctr(['task', 'exec', '--fifo-dir', path.join(dir, 'fifo'), '--exec-id', 'e1', c, 'sh', '-c', 'echo exec $(id -u)']);
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
        assert.equal(r.stdout, 'exec 0\n', name);
        assert.equal(ctr(['task', 'pause', c]).status, 0, name);
        assert.match(ctr(['task', 'ls']).stdout, new RegExp(`^${c}\\s+\\d+\\s+PAUSED`, 'm'), name);
        assert.equal(ctr(['task', 'kill', '-s', 'KILL', c]).status, 0, name);
        let ls = '';
        for (let i = 0; i < 50 && !/STOPPED/.test(ls); i++) {
          await new Promise((res) => setTimeout(res, 100));
          ls = ctr(['task', 'ls']).stdout;
        }
        assert.match(ls, new RegExp(`^${c}\\s+\\d+\\s+STOPPED`, 'm'), name);
        r = ctr(['task', 'rm', c]);
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      } finally {
        ctr(['task', 'rm', '-f', c]);
        ctr(['container', 'rm', c]);
      }
    }
  });

  it('a memory limit ends in the OOM killer: exit status 137', () => {
    for (const [name, rt] of runtimes()) {
      const r = run(rt, ['--memory-limit', String(16 << 20)], ['sh', '-c', 'x=a; while true; do x=$x$x; done']);
      assert.equal(r.status, 137, `${name}: ${r.stderr}`);
    }
  });

  it('--read-only root and a tmpfs mount with tmpcopyup', () => {
    const script = 'touch /x 2>&1; head -1 /etc/passwd; echo y > /etc/y && cat /etc/y; grep " /etc " /proc/mounts | cut -d" " -f3';
    for (const [name, rt] of runtimes()) {
      const r = run(rt, ['--read-only', '--mount', 'type=tmpfs,src=tmpfs,dst=/etc,options=nosuid:tmpcopyup'], ['sh', '-c', script]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, 'touch: /x: Read-only file system\nroot:x:0:0:root:/root:/bin/sh\ny\ntmpfs\n', name);
    }
  });
});
