// `hako cp`: between a container's root filesystem and the host, or a tar stream (`-`), with
// docker's rules (paths.ts). The container side never reaches Node's fs through a path
// (container.ts); the host side is the user's own.
import fs from 'node:fs';
import path, { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { HakoError } from '../../util/errors.js';
import { LayerWorker } from '../../storage/layers/worker.js';
import { unpackLayer } from '../../storage/layers/unpack.js';
import { splitPath, checkSource, target } from './paths.js';
import { containerEntries, containerReader, containerWriter, resolveIn, type ContainerRoot } from './container.js';
import { hostEntries, hostKind } from './host.js';
import { writeEntries, type Owner } from './write.js';
import { writeTar } from './tar.js';
import type { Entry } from './entries.js';
import { ensureRootfsMounted } from '../rootfs.js';
import { isRootless } from '../rootless.js';
import type { ContainerStore } from '../store.js';
import { OPENED_FIRST, type PrivateMount } from '../../native/modes.js';
import { procStat } from '../../util/proc.js';

export interface CopyOptions {
  /** -a: keep the source's owners (else: root in the container, the caller on the host). */
  archive?: boolean;
  /** -L: follow a symlink that SRC itself is. */
  followLink?: boolean;
  /** For messages: the container's name. */
  container?: string;
}

const keep: Owner = (e) => ({ uid: e.uid, gid: e.gid });

/** Copies CONTAINER:`from` (inside `rootfs`) to the host path `to`, or as a tar to `out` when `to`
 *  is `-`. Returns the bytes of file content copied. */
export async function copyFromContainer(rootfs: ContainerRoot, from: string, to: string, opts: CopyOptions = {}, out?: Writable): Promise<number> {
  const src = splitPath(from);
  const reader = containerReader(rootfs);
  try {
    const r = await resolveIn(reader, 'source', src, Boolean(opts.followLink) || src.trailingSlash);
    checkSource(src, r.kind, `${from} in container ${opts.container ?? ''}`.trim());
    let bytes: number;
    if (to === '-') {
      bytes = await writeTar(out ?? process.stdout, src.contentsOnly ? '' : src.base, containerEntries(reader, r.entry!, rootfs.readByWorker));
    } else {
      const dest = splitPath(to, process.cwd());
      const t = target(src, r.kind, dest, hostKind(dest.full), to);
      if (hostKind(t.dir) !== 'dir') throw new HakoError(`${to}: no such directory`);
      const writer = new LayerWorker(fs.realpathSync(t.dir), undefined, 'cp');
      bytes = await writeEntries(writer, t.top, containerEntries(reader, r.entry!, rootfs.readByWorker), opts.archive ? keep : () => ({ uid: -1, gid: -1 }));
    }
    await reader.close();
    return bytes;
  } catch (e) {
    await reader.abort();
    throw e;
  }
}

/** Copies the host path `from` (or a tar read from `input` when `from` is `-`) to CONTAINER:`to`. */
export async function copyToContainer(rootfs: ContainerRoot, from: string, to: string, opts: CopyOptions = {}, input?: Readable): Promise<number> {
  const dest = splitPath(to);
  const probe = containerReader(rootfs);
  let r: Awaited<ReturnType<typeof resolveIn>>;
  try {
    r = await resolveIn(probe, 'dest', dest, true);
    await probe.close();
  } catch (e) {
    await probe.abort();
    throw e;
  }
  if (from === '-') {
    if (r.kind !== 'dir') throw new HakoError(`${to}: the destination of a tar stream must be a directory in the container`);
    const writer = containerWriter(rootfs, `/${r.rel}`);
    const res = await unpackLayer(input ?? process.stdin, '', { worker: writer, mode: 'flatten', whiteouts: false, preserveOwnership: true });
    return res.size;
  }
  const src = splitPath(from, process.cwd());
  const follow = Boolean(opts.followLink) || src.trailingSlash;
  const kind = hostKind(src.full, follow);
  checkSource(src, kind, from);
  const t = target(src, kind, dest, r.kind, `${to} in container ${opts.container ?? ''}`.trim());
  // The directory written into, as resolved inside the root, and the top name there.
  const dirRel = r.kind === 'dir' ? r.rel : posix.dirname(`/${r.rel}`).slice(1);
  const top = r.kind === 'file' ? posix.basename(r.rel) : t.top;
  const writer = containerWriter(rootfs, `/${dirRel}`);
  return writeEntries(writer, top, hostEntries(src.full, follow), opts.archive ? keep : () => ({ uid: 0, gid: 0 }));
}

/** What `p` is in the container (resolved inside its root; a last component that is a symlink is
 *  not followed, as docker's archive stat): its entry, or undefined when missing. */
export async function statInContainer(rootfs: ContainerRoot, p: string): Promise<Entry | undefined> {
  const split = splitPath(p);
  const reader = containerReader(rootfs);
  try {
    const r = await resolveIn(reader, 'source', split, split.trailingSlash);
    await reader.close();
    return r.kind === 'missing' ? undefined : r.entry;
  } catch (e) {
    await reader.abort();
    throw e;
  }
}

/** The root filesystem of container `ref` (mounted again if a reboot took it down), and its name. */
export function containerRootfs(store: ContainerStore, ref: string): { rootfs: ContainerRoot; name: string } {
  const id = store.resolve(ref);
  const dir = store.containerDir(id);
  const name = store.readConfig(id).name;
  if (isRootless()) return { rootfs: rootlessRoot(store, id, dir, name), name };
  ensureRootfsMounted(dir);
  // bundle/rootfs is hako's own link to the container's fs/rootfs (or its copy): a host path.
  return { rootfs: { dir: fs.realpathSync(path.join(dir, 'bundle', 'rootfs')) }, name };
}

/** Rootless, the overlay is mounted only inside the container (rootless.ts): the host's fs/rootfs
 *  is an empty mount point. A running container's root is reached through its init's
 *  /proc/PID/root (the same mount its processes see: writes land in it, as docker cp's do); a
 *  stopped one's overlay is mounted by the worker in a mount namespace of its own. Either way the
 *  worker runs in the store's user namespace, which maps the ids the files belong to, and resolves
 *  every path inside the root as the rootful cp does. */
function rootlessRoot(store: ContainerStore, id: string, dir: string, name: string): ContainerRoot {
  const st = store.readState(id);
  if (st.status === 'running' || st.paused) {
    const now = procStat(st.pid);
    if (st.pid > 0 && now && (!st.pidStartTime || now.startTime === st.pidStartTime))
      return { dir: OPENED_FIRST, openFirst: `/proc/${st.pid}/root`, readByWorker: true };
    throw new HakoError(`container ${name}: its process ${st.pid} is gone; try again once it has stopped`);
  }
  const file = path.join(dir, 'fs', 'mount.json');
  if (!fs.existsSync(file)) return { dir: fs.realpathSync(path.join(dir, 'bundle', 'rootfs')), readByWorker: true }; // the copy fallback: a plain tree
  const mount = JSON.parse(fs.readFileSync(file, 'utf8')) as PrivateMount;
  return { dir: mount.target, mount, readByWorker: true };
}

/** `hako export`: the container's whole root filesystem as a tar on `out` (names relative to `/`). */
export async function exportContainer(store: ContainerStore, ref: string, out: Writable): Promise<number> {
  const { rootfs, name } = containerRootfs(store, ref);
  return copyFromContainer(rootfs, '/.', '-', { container: name }, out);
}
