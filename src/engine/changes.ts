// What a container changed in its image: the entries of its overlay upper directory, read by the
// native worker (the tree is the container's), against the image's layers. `hako diff` prints them;
// `hako commit` turns them into a layer (whiteouts as `.wh.` files, opaque directories as
// `.wh..wh..opq`).
import { rec } from '../native/ops.js';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { LayerWorker } from '../storage/layers/worker.js';
import { FUSE_OPAQUE_MARKERS, FUSE_OPAQUE_XATTR } from '../storage/layers/names.js';
import { type Entry, entryFromWalk } from './cp/entries.js';

export interface UpperEntry extends Entry {
  /** A character device 0:0: overlayfs's mark of a deleted path. */
  whiteout: boolean;
  /** A directory whose lower content is hidden (trusted.overlay.opaque=y, user.* rootless, or
   *  fuse-overlayfs's user.fuseoverlayfs.opaque). */
  opaque: boolean;
}

/** Empty files the engine's bind mounts of /etc/hosts, /etc/hostname and /etc/resolv.conf land on:
 *  not the container's changes (docker leaves them out of diff and commit too). */
export function isMountPlaceholder(e: UpperEntry): boolean {
  return e.type === 'f' && e.size === 0 && ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'].includes(e.rel);
}

const text = (b: Buffer | undefined) => (b ?? Buffer.alloc(0)).toString('utf8');

/** Every entry below `dir` (parents first), with its overlay marks, from the worker's walk. */
export async function walkTree(worker: LayerWorker, dir: string): Promise<UpperEntry[]> {
  const answer = await worker.query(rec('walk'), dir);
  const out: UpperEntry[] = [];
  const fuseOpaque = new Set<string>();
  for (const rec of answer) {
    const f = rec.map(text);
    if (f[0] === 'e') {
      out.push({ ...entryFromWalk(rec), whiteout: f[2] === 'c' && f[6] === '0' && f[7] === '0', opaque: false });
    } else if (f[0] === 'x' && out.length) {
      const last = out[out.length - 1]!;
      for (let i = 1; i + 1 < f.length; i += 2) {
        if (f[i + 1] !== 'y') continue;
        if (/^(trusted|user)\.overlay\.opaque$/.test(f[i]!)) last.opaque = true;
        if (f[i] === FUSE_OPAQUE_XATTR) fuseOpaque.add(last.rel);
      }
    }
  }
  for (const e of out) if (fuseOpaque.has(e.rel)) e.opaque = true;
  return out.filter((e) => !(FUSE_OPAQUE_MARKERS.includes(path.posix.basename(e.rel)) && fuseOpaque.has(path.posix.dirname(e.rel))));
}

/** The container's upper directory and its image's unpacked layers (top first), from the overlay
 *  mount hako recorded (fs/mount.json). */
export function overlayDirs(containerDir: string): { upper: string; lowers: string[] } {
  const file = path.join(containerDir, 'fs', 'mount.json');
  let op: { data: string; cwd?: string };
  try {
    op = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new HakoError('this container has no overlay root filesystem (a copied one): its changes are not known');
  }
  const opt = (k: string) =>
    op.data
      .split(',')
      .find((o) => o.startsWith(`${k}=`))
      ?.slice(k.length + 1) ?? '';
  const abs = (p: string) => fs.realpathSync(path.resolve(op.cwd ?? '/', p)); // hako's own links (fs/l/N)
  return { upper: abs(opt('upperdir')), lowers: opt('lowerdir').split(':').filter(Boolean).map(abs) };
}

/** The paths the image's layers show (bottom layer first, whiteouts and opaque directories applied). */
async function lowerPaths(lowers: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const dropBelow = (p: string) => {
    for (const s of seen) if (s.startsWith(`${p}/`)) seen.delete(s);
  };
  for (const dir of [...lowers].reverse()) {
    const worker = new LayerWorker(dir, dir, 'layer');
    try {
      for (const e of await walkTree(worker, dir)) {
        if (e.whiteout) {
          seen.delete(e.rel);
          dropBelow(e.rel);
          continue;
        }
        if (e.opaque) dropBelow(e.rel);
        seen.add(e.rel);
      }
      await worker.close();
    } catch (err) {
      await worker.abort();
      throw err;
    }
  }
  return seen;
}

/** docker diff: `A /new`, `C /changed`, `D /deleted`, in path order. */
export async function containerChanges(containerDir: string): Promise<{ kind: 'A' | 'C' | 'D'; path: string }[]> {
  const { upper, lowers } = overlayDirs(containerDir);
  const lower = await lowerPaths(lowers);
  const worker = new LayerWorker(upper, upper, 'diff');
  let entries: UpperEntry[];
  try {
    entries = await walkTree(worker, upper);
    await worker.close();
  } catch (err) {
    await worker.abort();
    throw err;
  }
  return entries
    .filter((e) => !isMountPlaceholder(e))
    .map((e) => ({ kind: e.whiteout ? ('D' as const) : lower.has(e.rel) ? ('C' as const) : ('A' as const), path: `/${e.rel}` }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
