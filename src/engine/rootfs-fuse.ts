// Rootless roots through fuse-overlayfs, as podman's `mount_program` does: for kernels that refuse
// overlayfs in a user namespace (before 5.11), or when the user asks for it with
// HAKO_MOUNT_PROGRAM=/usr/bin/fuse-overlayfs (podman's storage.conf `mount_program`).
// The daemon runs as the root of the user's shared user namespace, in its holder's mount namespace
// (rootless-pause.ts): it can then own files in the subordinate ids, and the runtime, which enters
// that mount namespace before making the container's own (annotation org.hako.rootfs.mountns),
// finds the root mounted on root.path there. Nothing of it is mounted on the host.
// The mount is made at every start when it is not there (after a reboot, a killed daemon, a new
// holder) and taken down at rm: umount in the holder's namespace, then any daemon still serving
// that mount point (the holder killed, the mount lost with it) is ended.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { procStat } from '../util/proc.js';
import { fuseOverlayMount, umountIn, type MountNamespace } from '../native/modes.js';
import type { MountOperation } from '../storage/rootfs.js';
import { readPause } from './rootless-pause.js';

export const MOUNT_PROGRAM_ENV = 'HAKO_MOUNT_PROGRAM';
const DEV_FUSE = '/dev/fuse';

/** Whether this kernel mounts overlayfs in a user namespace (5.11 and later). */
export function nativeRootlessOverlay(release = os.release()): boolean {
  const [major, minor] = release.split(/[.-]/).map(Number);
  return major! > 5 || (major === 5 && minor! >= 11);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const file = path.join(dir || '.', name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return path.resolve(file);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The program that mounts rootless roots, or undefined for the kernel's overlayfs. Asked for by
 *  $HAKO_MOUNT_PROGRAM (a path or a name on PATH), else fuse-overlayfs where the kernel refuses. */
export function rootlessMountProgram(): string | undefined {
  const asked = process.env[MOUNT_PROGRAM_ENV];
  if (asked) {
    const found = asked.includes('/') ? asked : onPath(asked);
    try {
      fs.accessSync(found ?? asked, fs.constants.X_OK);
    } catch {
      throw new HakoError(`${MOUNT_PROGRAM_ENV}=${asked}: no such executable (Debian package fuse-overlayfs)`);
    }
    return path.resolve(found!);
  }
  if (nativeRootlessOverlay()) return undefined;
  const fuse = onPath('fuse-overlayfs');
  if (!fuse)
    throw new HakoError(`rootless overlay: kernel ${os.release()} refuses overlayfs in a user namespace (needs 5.11) and fuse-overlayfs is not installed`);
  return fuse;
}

/** Refuses in one line when the daemon could not open /dev/fuse (it runs as an unmapped uid's
 *  "other": the device must be 0666, Debian's udev default). */
export function checkDevFuse(): void {
  try {
    fs.accessSync(DEV_FUSE, fs.constants.R_OK | fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const mode = code === 'ENOENT' ? 'missing' : `mode ${(fs.statSync(DEV_FUSE).mode & 0o777).toString(8).padStart(4, '0')}`;
    throw new HakoError(`${DEV_FUSE}: not readable and writable by uid ${process.geteuid!()} (${mode}): fuse-overlayfs needs it 0666 (Debian's udev default)`);
  }
}

/** The recorded mount of a fuse root: the overlay's operation and the program that mounts it. */
export interface FuseMount extends MountOperation {
  program: string;
}

/** fuse-overlayfs's options: overlayfs's, less the kernel's `userxattr` (the daemon reads
 *  user.overlay.* itself), plus allow_other: a container process of another uid may use its root. */
export function fuseOptions(data: string): string {
  return [...data.split(',').filter((o) => o !== 'userxattr'), 'allow_other'].join(',');
}

const holderNs = (): (MountNamespace & { pid: number }) | undefined => readPause();

/** Whether TARGET is a mount point in the holder's mount namespace. */
function mountedIn(pid: number, target: string): boolean {
  let text = '';
  try {
    text = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  } catch {
    return false;
  }
  return text.split('\n').some((l) => l.split(' ')[4] === target);
}

/** Mounts the root in the holder's namespace unless it is there and served. `ns`: the holder. */
export function ensureFuseMounted(m: FuseMount, ns: MountNamespace & { pid: number }): void {
  if (mountedIn(ns.pid, m.target)) {
    if (fuseDaemons(m.target).length) return;
    umountIn(ns, m.target); // its daemon was killed: "transport endpoint is not connected"
  }
  checkDevFuse();
  for (const pid of fuseDaemons(m.target)) killAndWait(pid); // serving a mount lost with an old holder
  try {
    fuseOverlayMount(ns, m.program, fuseOptions(m.data), m.target);
  } catch (e) {
    throw new HakoError(`rootfs: ${path.basename(m.program)}: ${(e as Error).message}`);
  }
}

/** Takes the root down: detached in the holder's namespace, its daemon ended (it exits by itself
 *  once the last mount of it is gone; one serving a lost mount is killed). */
export function releaseFuseMount(m: FuseMount): void {
  const ns = holderNs();
  let detached = false;
  if (ns && mountedIn(ns.pid, m.target)) {
    try {
      umountIn(ns, m.target);
      detached = true;
    } catch {
      /* the daemons are ended below; the holder's namespace ends with the holder */
    }
  }
  // Detached, the daemon exits once no container holds the mount; otherwise none will end it.
  for (const pid of fuseDaemons(m.target)) killAndWait(pid, detached ? 2000 : 0);
}

/** The fuse daemons (ours: we may signal only those) serving TARGET: argv's last word. */
export function fuseDaemons(target: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (path.basename(argv[0] ?? '').includes('fuse-overlayfs') && argv[argv.length - 1] === target && fs.statSync(`/proc/${e}`).uid === process.geteuid!()) {
        if (procStat(Number(e))?.state !== 'Z') out.push(Number(e));
      }
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Waits up to `graceMs` for PID to exit on its own, then SIGKILLs it and waits for it to go. */
function killAndWait(pid: number, graceMs = 0): void {
  const gone = () => {
    const st = procStat(pid);
    return !st || st.state === 'Z';
  };
  const wait = (ms: number) => {
    const end = Date.now() + ms;
    while (!gone() && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  };
  wait(graceMs);
  if (gone()) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  wait(2000);
}

/** The container's recorded fuse mount, or undefined (a kernel overlay, a copy, none). */
export function readFuseMount(containerDir: string): FuseMount | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(containerDir, 'fs', 'mount.json'), 'utf8')) as Partial<FuseMount>;
    return typeof m.program === 'string' ? (m as FuseMount) : undefined;
  } catch {
    return undefined;
  }
}
