// podman as the engine peer, with all of its state (storage, runroot, tmpdir) in the bench's temp
// dir so the host's /var/lib/containers is untouched. The image is the busybox rootfs loaded with
// `podman import`, i.e. the same bytes hako runs.
//  --cgroup-manager cgroupfs: there is no systemd on the CI VM.
//  --ulimit nofile/nproc: podman asks for rlimits above the current hard limits by default, which
//     needs CAP_SYS_RESOURCE (missing from the bounding set here), so both are pinned low.
//  --network none: no CNI/netavark set-up; hako's side gets the same flag.
import fs from 'node:fs';
import path from 'node:path';
import { once, type Ctx } from './context.js';
import { busyboxLayer } from './registry.js';
import { capture, mustRun, removeTree, timed, which, type Cmd } from './proc.js';

export interface Podman {
  /** podman's OCI runtime for the bench (runc, as the targets say; crun when runc fails). */
  runtime: string;
  image: string;
  cmd(args: string[]): Cmd;
  /** The same podman (storage, flags) with another OCI runtime, e.g. bin/hako-runtime. */
  withRuntime(runtime: string): (args: string[]) => Cmd;
  runArgs: string[];
}

const IMAGE = 'localhost/hako-bench-busybox:latest';

async function setup(ctx: Ctx): Promise<Podman | string> {
  const exe = which('podman');
  if (!exe) return 'not installed (scripts/bench-deps.sh installs it)';
  const dir = fs.mkdtempSync(path.join(ctx.tmp, 'podman-'));
  const base = [
    '--root',
    path.join(dir, 'storage'),
    '--runroot',
    path.join(dir, 'run'),
    '--tmpdir',
    path.join(dir, 'tmp'),
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
    '--log-level',
    'error',
  ];
  const cmdWith =
    (runtime: string | undefined) =>
    (args: string[]): Cmd => ({ file: exe, args: [...base, ...(runtime ? ['--runtime', runtime] : []), ...args] });
  ctx.cleanups.push(() => {
    timed(cmdWith(undefined)(['rm', '--all', '--force', '--time', '0']));
    timed(cmdWith(undefined)(['system', 'reset', '--force']));
    removeTree(dir);
  });
  const tarball = path.join(dir, 'busybox.tar');
  fs.writeFileSync(tarball, await busyboxLayer(ctx));
  mustRun(cmdWith(undefined)(['import', '--quiet', tarball, IMAGE]));
  const runArgs = ['--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];
  const errors: string[] = [];
  for (const runtime of ['runc', 'crun']) {
    if (!which(runtime)) continue;
    const cmd = cmdWith(runtime);
    const out = timed(cmd(['run', '--rm', ...runArgs, IMAGE, 'true']));
    if (out.ok) return { runtime, image: IMAGE, cmd, withRuntime: cmdWith, runArgs };
    errors.push(`--runtime ${runtime}: ${out.error}`);
  }
  return `fails its probe: ${errors.join('; ') || 'neither crun nor runc is installed'}`;
}

export function podman(ctx: Ctx): Promise<Podman | string> {
  return once(ctx, 'podman', () => setup(ctx).catch((e: unknown) => `podman set-up failed: ${(e as Error).message}`));
}

export function podmanVersion(): string {
  return capture('podman', ['--version']).trim();
}
