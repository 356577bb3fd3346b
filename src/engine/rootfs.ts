// Root filesystem preparation for a container: layers unpacked once into the shared store
// (src/storage/layers), an overlay per container over them (src/storage/rootfs.ts), mounted and
// unmounted through hako-init, and the layers no image or container uses any more pruned.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import type { ContentStore } from '../storage/store/index.js';
import type { LayerInfo } from '../image/index.js';
import { isMountPoint, prepareRootfs as prepareStorageRootfs, type MountOperation } from '../storage/rootfs.js';
import { mount, umount } from '../native/modes.js';
import { removeTree } from '../storage/layers/worker.js';
import { processAlive } from '../util/proc.js';
import { isRootless, rootlessUnpackOptions } from './rootless.js';
import { readFuseMount, releaseFuseMount, type FuseMount } from './rootfs-fuse.js';

export interface PreparedRootfs {
  /** The directory to use as root.path. */
  rootfs: string;
  /** The unpacked layers, bottom first. */
  layerDirs: string[];
  /** Rootless: the overlay the runtime mounts on root.path inside the container's own user and
   *  mount namespaces (an ordinary user cannot mount it on the host); see rootless.ts. */
  inContainer?: MountOperation;
  /** Rootless through fuse-overlayfs: mounted at each start in the holder's mount namespace, which
   *  the runtime enters first (rootfs-fuse.ts). */
  fuse?: FuseMount;
}

/**
 * The container's root filesystem: every layer unpacked ONCE into a shared read-only directory
 * (<store>/layers/<digest>, overlay whiteouts), then an overlay mount per container with its own
 * upper/work directories under <containerDir>/fs. Where overlayfs is unavailable,
 * src/storage/rootfs.ts copies the layers instead. The mount is recorded in fs/mount.json so that a
 * later `start` (after a reboot) can mount it again and `rm` can take it down from another process.
 * `copy`: the layers copied instead, for a rootless container of runc or crun, which cannot mount
 * the overlay inside the container as hako's runtime does (an ordinary user mounts one only in a
 * mount namespace its user namespace owns).
 */
export async function prepareRootfs(
  store: ContentStore,
  layers: LayerInfo[],
  containerDir: string,
  opts: { copy?: boolean; mountProgram?: string } = {},
): Promise<PreparedRootfs> {
  const dirs: string[] = [];
  for (const layer of layers) dirs.push(await unpackedLayer(store, layer));
  const fsDir = path.join(containerDir, 'fs');
  fs.mkdirSync(path.join(containerDir, 'bundle'), { recursive: true, mode: 0o755 }); // config.json goes there
  const rootless = isRootless();
  const prepared = await prepareStorageRootfs({ layersDirs: dirs, containerDir: fsDir, userxattr: rootless, forceCopy: opts.copy });
  if (prepared.mount && rootless) {
    const fuse = opts.mountProgram ? { ...prepared.mount, program: opts.mountProgram } : undefined;
    fs.writeFileSync(path.join(fsDir, 'mount.json'), JSON.stringify(fuse ?? prepared.mount)); // pruneLayers reads what it holds
    fs.symlinkSync(prepared.rootfs, path.join(containerDir, 'bundle', 'rootfs'));
    return fuse ? { rootfs: prepared.rootfs, layerDirs: dirs, fuse } : { rootfs: prepared.rootfs, layerDirs: dirs, inContainer: prepared.mount };
  }
  if (prepared.mount) {
    fs.writeFileSync(path.join(fsDir, 'mount.json'), JSON.stringify(prepared.mount));
    try {
      mountRootfs(prepared.mount);
    } catch (e) {
      prepared.cleanup();
      throw e;
    }
  }
  // config.json says root.path "rootfs": the bundle's name for it (the runtime resolves the link).
  fs.symlinkSync(prepared.rootfs, path.join(containerDir, 'bundle', 'rootfs'));
  return { rootfs: prepared.rootfs, layerDirs: dirs };
}

/** Mounts the container's overlay again if it is recorded but not mounted (after a reboot). */
export function ensureRootfsMounted(containerDir: string): void {
  const file = path.join(containerDir, 'fs', 'mount.json');
  if (!fs.existsSync(file) || isRootless()) return; // rootless: in the container, or by fuse (rootfs-fuse.ts)
  const op = JSON.parse(fs.readFileSync(file, 'utf8')) as MountOperation;
  if (!isMountPoint(op.target)) mountRootfs(op);
}

/** Unmounts the container's overlay, keeping upper/ (a build step reads its changes there). */
export function unmountRootfs(containerDir: string): void {
  const rootfs = rootfsMountpoint(containerDir);
  if (fs.existsSync(rootfs) && isMountPoint(rootfs)) nativeMode(() => umount(rootfs));
}

/** Takes down what prepareRootfs made: the overlay mount, upper/work, or the copy. */
export function releaseRootfs(containerDir: string): void {
  const fsDir = path.join(containerDir, 'fs');
  releaseFuseRootfs(containerDir);
  unmountRootfs(containerDir);
  // upper/ (or the copied rootfs) holds what the image and the container wrote: removed by the
  // worker, which never follows a symlink, never recurses on a stack and stops at a mount.
  removeTree(fsDir);
  removeTree(path.join(containerDir, 'bundle', 'rootfs')); // the symlink to fs/rootfs
}

/** Rootless through fuse-overlayfs: its mount taken down and its daemon ended (before the
 *  container's directory is renamed for removal: the daemon is found by the mount point). */
export function releaseFuseRootfs(containerDir: string): void {
  const fuse = readFuseMount(containerDir);
  if (fuse) releaseFuseMount(fuse);
}

/** Where the container's root filesystem is mounted: what must be detached before its directory
 *  can be removed (removal stops at mounts). */
export function rootfsMountpoint(containerDir: string): string {
  return path.join(containerDir, 'fs', 'rootfs');
}

function mountRootfs(op: MountOperation): void {
  nativeMode(() => mount(op));
}

function nativeMode(run: () => void): void {
  try {
    run();
  } catch (e) {
    throw new HakoError(`rootfs: ${(e as Error).message}`);
  }
}

/**
 * Removes unpacked layers that no image references any more and no container still uses as an
 * overlay lower directory (a running container built from a force-removed image keeps its layers).
 * Returns the removed directories.
 */
export function pruneLayers(store: ContentStore, containersDir: string): string[] {
  const layersDir = store.layersDir;
  if (!fs.existsSync(layersDir)) return [];
  const referenced = store.referencedBlobs();
  const mounted = new Set<string>();
  for (const id of fs.existsSync(containersDir) ? fs.readdirSync(containersDir) : []) {
    try {
      const op = JSON.parse(fs.readFileSync(path.join(containersDir, id, 'fs', 'mount.json'), 'utf8')) as MountOperation;
      for (const name of fs.readdirSync(layersDir)) if (op.data.includes(name)) mounted.add(name);
      // Short symlinks (<container>/fs/l/<n>) stand for layers when the mount data got long.
      const links = path.join(containersDir, id, 'fs', 'l');
      for (const l of fs.existsSync(links) ? fs.readdirSync(links) : []) mounted.add(path.basename(fs.readlinkSync(path.join(links, l))));
    } catch {
      /* no overlay for this container */
    }
  }
  const removed: string[] = [];
  for (const name of fs.readdirSync(layersDir)) {
    const tmp = /\.tmp-(\d+)$/.exec(name);
    if (tmp) {
      // Being unpacked by process PID, or left by one that died (a crash, a kill): then it goes.
      if (processAlive(Number(tmp[1]))) continue;
    } else if (referenced.has(name.replace('-', ':')) || mounted.has(name)) continue;
    removeTree(path.join(layersDir, name));
    removed.push(name);
  }
  return removed;
}

/** <store>/layers/<hex>: the layer unpacked once, shared by every container. Unpacked into a
 *  temporary directory and renamed, so a crash or a concurrent unpack never shows half a layer. */
async function unpackedLayer(store: ContentStore, layer: LayerInfo): Promise<string> {
  const dir = path.join(store.layersDir, layer.digest.replace(':', '-'));
  if (fs.existsSync(dir)) return dir; // store.layersDir: made 0700 by the ContentStore
  const tmp = `${dir}.tmp-${process.pid}`;
  removeTree(tmp);
  fs.mkdirSync(tmp, { mode: 0o755 });
  try {
    // Loaded only now: the unpacker (and tar-stream) is not needed while every layer is unpacked.
    const { unpackLayer } = await import('../storage/layers/index.js');
    // Rootless, the worker runs in the store's user namespace (modes.ts): owners land in the
    // subordinate ids, device nodes cannot be made there, and the mount reads user.overlay.*.
    await unpackLayer(store.openBlob(layer.digest), tmp, { mode: 'overlay', ...(isRootless() ? rootlessUnpackOptions() : {}) });
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Iterative: a 3000-level layer must not overflow a stack on the way out. A failure here must
    // not hide the unpack error; pruneLayers takes the rest once this process is gone.
    try {
      removeTree(tmp);
    } catch {
      /* see above */
    }
    if (fs.existsSync(dir)) return dir; // another process won the race
    throw e instanceof HakoError ? e : new HakoError(`layer ${layer.digest.slice(7, 19)}: ${(e as Error).message}`);
  }
  return dir;
}
