// Assembling a container's root filesystem from unpacked layer directories (bottom..top).
//
// Overlay (preferred): containerDir/{upper,work,rootfs}, lowerdir = layers top first. Node has no
// mount(2) and we never shell out to mount(8), so this module does NOT mount: it returns the mount
// operation (source, target, fstype, flags, data, cwd) for the runtime to hand to hako-init as a
// plan `mount` op (README of native/). The kernel copies legacy mount data as ONE page, so the data
// string must stay below 4096 bytes; for many or long layer paths we fall back, in order, to:
//   1. absolute paths as given (when short enough and free of ',', ':' and '\', which the overlay
//      option parser treats specially);
//   2. short symlinks containerDir/l/<n> -> layer dir (overlay resolves lowerdirs with symlinks
//      followed, so the real layer dirs are used);
//   3. the same symlinks as RELATIVE paths "l/0:l/1,upperdir=upper,workdir=work" with
//      `cwd: containerDir`: the helper must chdir(cwd) before mount(2). (The new mount API's
//      fsconfig(lowerdir+) has no length limit; hako-init may switch to it later.)
// Readonly keeps an upper and work dir (a lower-only overlay needs 2+ layers on older kernels) and
// adds MS_RDONLY.
//
// Copy (fallback when /proc/filesystems lists no overlay, or forced): containerDir/rootfs gets a
// copy of every layer in order with overlay semantics (layers/copy.ts). `readonly` cannot be applied
// here without mount(2): the runtime applies spec root.readonly as usual.

import { mountPoints } from '../util/mountinfo.js';
import { mkdirSync, readFileSync, rmSync, symlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../util/errors.js';
import { copyLayerOnto } from './layers/copy.js';
import { removeTree } from './layers/worker.js';
import type { PrivateMount } from '../native/modes.js';

export const MS_RDONLY = 0x1;
/** Legacy mount(2) copies one page of option data including the terminating NUL. */
export const MOUNT_DATA_MAX = 4095;

/** An overlay mount to make (the same shape the native worker's `--private-mount` takes). */
export type MountOperation = PrivateMount;

export interface PreparedRootfs {
  rootfs: string;
  kind: 'overlay' | 'copy';
  /** overlay only: the mount the runtime must perform before using rootfs. */
  mount?: MountOperation;
  /** Removes what prepareRootfs created. For overlay, unmount first (it refuses while mounted). */
  cleanup(): void;
}

export interface PrepareRootfsOptions {
  layersDirs: string[];
  containerDir: string;
  readonly?: boolean;
  /** Use the copy fallback even where overlayfs exists. */
  forceCopy?: boolean;
  /** The mount is made in a user namespace (rootless): overlay's metadata is in user.overlay.*
   *  xattrs (`userxattr`), and the options hold absolute paths only (no `cwd`: the runtime mounts
   *  it from the container's plan). */
  userxattr?: boolean;
}

export function overlayAvailable(procFilesystems = '/proc/filesystems'): boolean {
  try {
    return readFileSync(procFilesystems, 'utf8')
      .split('\n')
      .some((l) => l.split('\t').pop()?.trim() === 'overlay');
  } catch {
    return false;
  }
}

const UNSAFE = /[,:\\\n]/;

/** Builds the overlay mount operation, creating containerDir/l/<n> symlinks only when needed. */
export function overlayMountOperation(layersDirs: string[], containerDir: string, readonly = false, max = MOUNT_DATA_MAX, userxattr = false): MountOperation {
  const upper = join(containerDir, 'upper');
  const work = join(containerDir, 'work');
  const target = join(containerDir, 'rootfs');
  const lowers = [...layersDirs].reverse(); // overlay wants the top layer first
  const op = (lower: string[], up: string, wk: string, cwd?: string): MountOperation => ({
    source: 'overlay',
    target,
    fstype: 'overlay',
    flags: readonly ? MS_RDONLY : 0,
    data: `lowerdir=${lower.join(':')},upperdir=${up},workdir=${wk}${userxattr ? ',userxattr' : ''}`,
    ...(cwd ? { cwd } : {}),
  });
  const direct = op(lowers, upper, work);
  if (direct.data.length <= max && ![...lowers, upper, work].some((p) => UNSAFE.test(p))) return direct;

  const links = join(containerDir, 'l');
  rmSync(links, { recursive: true, force: true });
  mkdirSync(links);
  lowers.forEach((dir, i) => symlinkSync(dir, join(links, String(i))));
  const short = lowers.map((_, i) => join(links, String(i)));
  const viaLinks = op(short, upper, work);
  if (viaLinks.data.length <= max && !UNSAFE.test(containerDir)) return viaLinks;
  if (userxattr) throw new HakoError(`rootfs: ${layersDirs.length} layers do not fit in one rootless overlay mount (${viaLinks.data.length} bytes of options)`);

  const rel = op(
    lowers.map((_, i) => `l/${i}`),
    'upper',
    'work',
    containerDir,
  );
  if (rel.data.length > max) throw new HakoError(`rootfs: ${layersDirs.length} layers do not fit in one overlay mount (${rel.data.length} bytes of options)`);
  return rel;
}

/** Whether `path` is a mount point according to /proc/self/mountinfo. */
export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}

export async function prepareRootfs(opts: PrepareRootfsOptions): Promise<PreparedRootfs> {
  const { containerDir } = opts;
  for (const [i, d] of opts.layersDirs.entries()) {
    let ok = false;
    try {
      ok = lstatSync(d).isDirectory();
    } catch {
      /* reported below */
    }
    if (!ok) throw new HakoError(`rootfs: layer ${i} ${d}: not a directory`);
  }
  mkdirSync(containerDir, { recursive: true });
  const rootfs = join(containerDir, 'rootfs');
  const created: string[] = [];
  const mk = (p: string) => {
    try {
      mkdirSync(p, { mode: 0o755 });
    } catch (e) {
      throw new HakoError(`rootfs: ${p}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'already exists' : (e as Error).message}`);
    }
    created.push(p);
  };
  const cleanup = () => {
    if (isMountPoint(rootfs)) throw new HakoError(`rootfs ${rootfs}: still mounted, unmount it first`);
    // containerDir/l (overlay symlinks) belongs to us only if we made this rootfs. A copied rootfs
    // or an upper dir holds image content: removed by the worker, never followed, no recursion.
    const ours = created.includes(rootfs) ? [...created, join(containerDir, 'l')] : created;
    for (const p of ours.reverse()) removeTree(p);
  };
  try {
    mk(rootfs);
    if (!opts.forceCopy && overlayAvailable()) {
      mk(join(containerDir, 'upper'));
      mk(join(containerDir, 'work'));
      let layers = opts.layersDirs;
      if (layers.length === 0) {
        mk(join(containerDir, 'empty'));
        layers = [join(containerDir, 'empty')];
      }
      return { rootfs, kind: 'overlay', mount: overlayMountOperation(layers, containerDir, opts.readonly, MOUNT_DATA_MAX, opts.userxattr), cleanup };
    }
    for (const d of opts.layersDirs) await copyLayerOnto(d, rootfs, {});
    return { rootfs, kind: 'copy', cleanup };
  } catch (e) {
    try {
      cleanup();
    } catch {
      /* keep the first error */
    }
    throw e;
  }
}
