// Engine integration harness: a temp engine root holding the built-in busybox image (made by
// scripts/builtin-image.mjs), the `hako` CLI run against it, and a cleanup that removes every
// container and then checks nothing of them is left (mounts, processes, cgroups, state).
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existingCgroupDirs } from '../../fixtures/cgroup-layout.js';

export const REPO = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
export const HAKO = path.join(REPO, 'bin', 'hako');
export const IMAGE = 'hako.local/busybox:latest';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class EngineEnv {
  readonly root: string;

  /** The default network's bridge: removed at cleanup if these tests were the ones to make it. */
  private readonly hadDefaultBridge = fs.existsSync('/sys/class/net/hako0');

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-engine-'));
    fs.chmodSync(this.root, 0o755);
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'builtin-image.mjs'), '--root', this.root], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`builtin-image.mjs failed: ${r.stderr}`);
  }

  /** A command hako runs under (e.g. nsenter into a mount namespace), or none. */
  wrap: string[] = [];

  hako(args: string[], opts: { input?: string; timeout?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Result {
    const argv = [...this.wrap, HAKO, '--root', this.root, ...args];
    const r: SpawnSyncReturns<string> = spawnSync(argv[0], argv.slice(1), {
      encoding: 'utf8',
      input: opts.input ?? '',
      timeout: opts.timeout ?? 60_000,
      env: { ...process.env, HAKO_ROOT: undefined, ...opts.env },
      cwd: opts.cwd,
    });
    if (r.error) throw r.error;
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs hako and fails with its stderr unless it exits 0. */
  ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = this.hako(args, opts);
    if (r.code !== 0) throw new Error(`hako ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  inspect(ref: string): { Id: string; State: { Status: string; ExitCode: number; Pid: number; OOMKilled: boolean }; RestartCount: number } {
    return JSON.parse(this.ok(['inspect', '--type', 'container', ref]))[0];
  }

  /** Polls `cond` every 50 ms; throws with `what` after `ms` (a hang guard, not a timing check). */
  async until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The network namespaces pinned under this root (`<root>/netns/<id>`). */
  pinnedNamespaces(): string[] {
    const dir = path.join(this.root, 'netns');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  }

  /** conmon (or other) processes whose command line mentions our root. */
  processesUsingRoot(): string[] {
    const out: string[] = [];
    for (const p of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
        if (cmd.includes(this.root)) out.push(`${p}: ${cmd}`);
      } catch {
        /* gone */
      }
    }
    return out;
  }

  mountsUnderRoot(): string[] {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[4]?.startsWith(this.root));
  }

  /** `network rm` of every network this root made (the default one is the bridge check's): a test
   *  that failed before its own `network rm` leaves no bridge, host-wide plan or firewall entry. */
  removeNetworks(): string[] {
    const names = this.hako(['network', 'ls', '--format', '{{.Name}}']).stdout.split('\n');
    const out: string[] = [];
    for (const n of names.filter((x) => x && x !== 'hako')) {
      const r = this.hako(['network', 'rm', n]);
      if (r.code !== 0) out.push(`network ${n}: ${r.stderr.trim()}`);
    }
    return out;
  }

  /** Removes all containers, then everything; returns what was left behind before the final rm. */
  cleanup(): string[] {
    const leftovers: string[] = [];
    // Pods first: their infra containers are removed with them (`rm` refuses them alone).
    const pods = this.hako(['pod', 'ls', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (pods.length)
      leftovers.push(
        ...this.hako(['pod', 'rm', '-f', ...pods])
          .stderr.split('\n')
          .filter((l) => l.trim())
          .map((l) => `pod rm -f: ${l}`),
      );
    const ids = this.hako(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) {
      const rm = this.hako(['rm', '-f', ...ids]);
      // removed meanwhile by its own exit command (`run -d --rm`) is fine; anything else is not
      const errors = rm.stderr.split('\n').filter((l) => l.trim() && !/no such container/.test(l));
      if (errors.length) leftovers.push(`rm -f: ${errors.join('; ')}`);
    }
    // A `run -d --rm` container's removal is conmon's exit command, after the container exits: it
    // may still be under way when the last test ends (as docker's auto-removal is asynchronous).
    const containers = path.join(this.root, 'containers');
    const pending = () => (fs.existsSync(containers) ? fs.readdirSync(containers) : []);
    for (const end = Date.now() + 15_000; pending().length && Date.now() < end; ) spawnSync('sleep', ['0.1']);
    if (pending().length) leftovers.push(`state: ${pending().join(',')}`);
    const run = path.join(this.root, 'run');
    if (fs.existsSync(run) && fs.readdirSync(run).length) leftovers.push(`runtime state: ${fs.readdirSync(run).join(',')}`);
    for (const m of this.mountsUnderRoot()) leftovers.push(`mount: ${m}`);
    for (const id of ids) for (const cg of existingCgroupDirs(`/hako/${id}`)) leftovers.push(`cgroup: ${cg}`);
    for (const p of this.processesUsingRoot()) {
      leftovers.push(`process: ${p}`);
      try {
        process.kill(Number(p.split(':')[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const m of this.mountsUnderRoot().reverse()) spawnSync('umount', ['-l', m.split(' ')[4]]);
    leftovers.push(...this.removeNetworks());
    if (!this.hadDefaultBridge && fs.existsSync('/sys/class/net/hako0')) {
      const r = this.hako(['network', 'rm', 'hako']);
      if (r.code !== 0 || fs.existsSync('/sys/class/net/hako0')) leftovers.push(`bridge hako0: ${r.stderr.trim()}`);
    }
    fs.rmSync(this.root, { recursive: true, force: true });
    return leftovers;
  }
}

export const isRoot = process.getuid?.() === 0;
export const hasConmon = fs.existsSync('/usr/bin/conmon');
export const built = fs.existsSync(path.join(REPO, 'dist', 'hako'));

/** Why an engine test file cannot run here, or false. */
export const engineSkip: string | false = !isRoot
  ? 'needs root'
  : !hasConmon
    ? 'needs /usr/bin/conmon (Debian conmon)'
    : !built
      ? 'needs npm run build (dist/hako)'
      : false;

/** Why a test file of the engine's networks cannot run here, or false: engineSkip, and the host
 *  firewall's tool that the bridge driver writes its rules with. */
const hasFirewall = fs.existsSync('/usr/sbin/nft') || fs.existsSync('/usr/sbin/iptables-restore');
export const networkSkip: string | false = engineSkip || (!hasFirewall && 'needs nftables or iptables');

/** An engine test file's set-up: one EngineEnv, made before its tests (unless skipped) and handed
 *  to `use`; after them every container is removed and nothing of them may be left behind. */
export function useEngineEnv(skip: string | false, use: (env: EngineEnv) => void): void {
  let env: EngineEnv | undefined;
  before(() => {
    if (!skip) use((env = new EngineEnv()));
  });
  after(() => {
    if (env) assert.deepEqual(env.cleanup(), [], 'removing every container left things behind');
  });
}

/** A plain rootfs tarball as `docker export` makes one: bin/busybox and bin/sh, plus an optional
 *  empty file so that two tarballs can differ. */
export function writeRootfsTarball(file: string, extraFile?: string): void {
  const busybox = fs.readFileSync('/bin/busybox');
  const header = (name: string, size: number, type: string, link = '') => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000755\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(type, 156);
    h.write(link, 157);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return h;
  };
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  fs.writeFileSync(
    file,
    Buffer.concat([
      header('bin/', 0, '5'),
      header('bin/busybox', busybox.length, '0'),
      busybox,
      pad(busybox.length),
      header('bin/sh', 0, '2', 'busybox'),
      ...(extraFile ? [header(extraFile, 0, '0')] : []),
      Buffer.alloc(1024),
    ]),
  );
}
