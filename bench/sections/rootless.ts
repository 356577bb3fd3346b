// Rootless: `hako run --rm <busybox> true` against `podman run --rm <busybox> true`, both as an
// ordinary user made for the bench (useradd, with the subordinate ids useradd gives it), each with
// its own default network (hako: pasta, else slirp4netns; podman 4.3: slirp4netns) and with
// --network none. Both use the busybox rootfs: hako's built-in image, podman's imported from it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once, type Ctx } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { hakoBin } from '../peers.js';
import { timed, which, type Cmd } from '../proc.js';
import { busyboxLayer } from '../registry.js';
import { rowsFrom, type PeerRef } from '../rows.js';
import type { SectionResult } from '../types.js';

const PODMAN_IMAGE = 'localhost/hako-bench-busybox:latest';
const HAKO_IMAGE = 'hako.local/busybox';

interface BenchUser {
  as(argv: string[]): Cmd;
}

function sh(file: string, args: string[]): string {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${(r.stderr || '').trim()}`);
  return r.stdout;
}

/** The user's live processes (by /proc, never by name): what the cleanup ends before userdel. */
function userPids(uid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.statSync(`/proc/${p}`).uid === uid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function makeUser(ctx: Ctx): BenchUser | string {
  if (process.getuid?.() !== 0) return 'needs root (to make the user)';
  if (!which('useradd') || !which('setpriv')) return 'needs useradd and setpriv';
  const name = `hakobench${process.pid % 100000}`;
  sh('useradd', ['-m', '-s', '/bin/sh', name]);
  const uid = Number(sh('id', ['-u', name]).trim());
  const home = sh('getent', ['passwd', name]).split(':')[5];
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-bench-xdg-'));
  fs.chownSync(runDir, uid, uid);
  fs.chmodSync(runDir, 0o700);
  ctx.cleanups.push(() => {
    for (const pid of userPids(uid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    spawnSync('userdel', ['--remove', name]);
    fs.rmSync(runDir, { recursive: true, force: true });
  });
  if (!fs.readFileSync('/etc/subuid', 'utf8').includes(`${name}:`)) return `useradd gave ${name} no subordinate ids (SUB_UID_COUNT in /etc/login.defs)`;
  const env = [`HOME=${home}`, `USER=${name}`, 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', `XDG_RUNTIME_DIR=${runDir}`];
  return {
    as: (argv) => ({ file: 'setpriv', args: ['--reuid', String(uid), '--regid', String(uid), '--init-groups', '--', 'env', '-i', ...env, ...argv] }),
  };
}

async function setup(ctx: Ctx): Promise<{ user: BenchUser; hako?: string; podman?: string; hakoWhy?: string; podmanWhy?: string } | string> {
  const user = makeUser(ctx);
  if (typeof user === 'string') return user;
  const out: { user: BenchUser; hako?: string; podman?: string; hakoWhy?: string; podmanWhy?: string } = { user };
  const hako = hakoBin(ctx.repo);
  const probe = timed(user.as([hako, 'run', '--rm', HAKO_IMAGE, 'true']));
  if (probe.ok) out.hako = hako;
  else out.hakoWhy = `fails its probe: ${probe.error}`;
  const podman = which('podman');
  if (!podman) {
    out.podmanWhy = 'not installed';
    return out;
  }
  const tarball = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hako-bench-tar-')), 'busybox.tar');
  fs.writeFileSync(tarball, await busyboxLayer(ctx));
  fs.chmodSync(path.dirname(tarball), 0o755);
  ctx.cleanups.push(() => fs.rmSync(path.dirname(tarball), { recursive: true, force: true }));
  const pm = (args: string[]) => user.as([podman, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--log-level', 'error', ...args]);
  const imported = timed(pm(['import', '--quiet', tarball, PODMAN_IMAGE]));
  const ran = imported.ok ? timed(pm(['run', '--rm', PODMAN_IMAGE, 'true'])) : imported;
  if (ran.ok) out.podman = podman;
  else out.podmanWhy = `fails its probe: ${ran.error}`;
  ctx.cleanups.push(() => timed(pm(['system', 'reset', '--force'])));
  return out;
}

export async function rootless(ctx: Ctx): Promise<SectionResult> {
  const s = await once(ctx, 'rootless', () => setup(ctx).catch((e: unknown) => `set-up failed: ${(e as Error).message}`));
  const why = typeof s === 'string' ? s : undefined;
  const peers: PeerRef[] = [
    { name: 'hako', hako: true, unavailable: why ?? (typeof s !== 'string' ? s.hakoWhy : undefined) },
    { name: 'podman', hako: false, unavailable: why ?? (typeof s !== 'string' ? s.podmanWhy : undefined) },
  ];
  const measure = (net: string[]) => {
    if (typeof s === 'string') return undefined;
    const contenders: Contender[] = [];
    if (s.hako) contenders.push({ name: 'hako', once: () => timed(s.user.as([s.hako!, 'run', '--rm', ...net, HAKO_IMAGE, 'true'])) });
    if (s.podman) {
      const pm = [s.podman, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--log-level', 'error'];
      contenders.push({ name: 'podman', once: () => timed(s.user.as([...pm, 'run', '--rm', ...net, PODMAN_IMAGE, 'true'])) });
    }
    return alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  };
  const rows = [
    ...rowsFrom(peers, measure([]), 'run --rm (default network)', 'ms'),
    ...rowsFrom(peers, measure(['--network', 'none']), 'run --rm --network none', 'ms'),
  ];
  return {
    id: 'rootless',
    title: '11. rootless: `run --rm <busybox> true` as an ordinary user',
    notes: [
      "both as a user made for the bench (useradd's subordinate ids), each with its own default network (hako: pasta, else slirp4netns; podman 4.3: slirp4netns) and with --network none",
      "podman: cgroupfs manager, file events, image imported from the same busybox rootfs into the user's storage",
      `${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating`,
    ],
    targets: [],
    rows,
  };
}
