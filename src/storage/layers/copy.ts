// The copy fallback: applies unpacked layer directories (overlay-mode layout) one after the other
// onto a plain directory, with the semantics an overlay mount would show:
// - a 0/0 char device, or a zero-size file with trusted.overlay.whiteout, hides the name below;
// - a directory with trusted.overlay.opaque="y" hides everything below it;
// - a directory over a non-directory replaces it, a non-directory replaces whatever was there;
// - directories merge, the upper one's owner/mode/mtime win.
// trusted.overlay.* attributes are markers and are not copied; other xattrs are. Hard links inside
// one layer stay hard links. Nothing is ever followed: every directory we descend into in the
// destination was just lstat'ed as a real directory (a symlink there is replaced, as overlay does).

import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { helperSys, type LayerSys, type SysOp } from './sys.js';
import { OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_XATTR } from './names.js';

async function lstatOrNull(p: string) {
  try { return await fs.lstat(p); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; throw e; }
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    const p = join(dir, name);
    out.push(p);
    if ((await fs.lstat(p)).isDirectory()) await walk(p, out);
  }
}

/** Linux dev_t encoding (glibc's gnu_dev_major/minor). */
function devMajor(rdev: number): number { return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn)); }
function devMinor(rdev: number): number { return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn)); }

export async function copyLayerOnto(layerDir: string, dest: string, opts: { sys?: LayerSys; preserveOwnership?: boolean } = {}): Promise<void> {
  const sys = opts.sys ?? helperSys;
  const own = opts.preserveOwnership ?? process.getuid?.() === 0;
  const all: string[] = [];
  await walk(layerDir, all);
  const xl = await sys.listXattrs(all);
  const xattrs = new Map(all.map((p, i) => [p, xl[i] ?? {}]));
  const ops: SysOp[] = [];
  const dirs: Array<{ d: string; st: import('node:fs').Stats; depth: number }> = [];
  const specials: Array<{ d: string; st: import('node:fs').Stats }> = [];
  const inodes = new Map<number, string>();

  const copyXattrs = (src: string, d: string) => {
    for (const [k, v] of Object.entries(xattrs.get(src) ?? {})) {
      if (!k.startsWith('trusted.overlay.')) ops.push({ op: 'lsetxattr', path: d, name: k, value: v });
    }
  };

  const applyDir = async (srcDir: string, dstDir: string, depth: number): Promise<void> => {
    for (const name of await fs.readdir(srcDir)) {
      const s = join(srcDir, name);
      const d = join(dstDir, name);
      const st = await fs.lstat(s);
      const x = xattrs.get(s) ?? {};
      const whiteout = (st.isCharacterDevice() && st.rdev === 0) || (st.isFile() && st.size === 0 && x[OVERLAY_WHITEOUT_XATTR] !== undefined);
      const cur = await lstatOrNull(d);
      if (whiteout) { if (cur) await fs.rm(d, { recursive: true, force: true }); continue; }
      if (st.isDirectory()) {
        if (cur && !cur.isDirectory()) await fs.rm(d, { force: true });
        if (!cur || !cur.isDirectory()) await fs.mkdir(d, 0o700);
        else if (x[OVERLAY_OPAQUE_XATTR]?.toString() === 'y') {
          for (const c of await fs.readdir(d)) await fs.rm(join(d, c), { recursive: true, force: true });
        }
        await applyDir(s, d, depth + 1);
        dirs.push({ d, st, depth });
        copyXattrs(s, d);
        continue;
      }
      if (cur) await fs.rm(d, { recursive: true, force: true });
      const first = st.nlink > 1 ? inodes.get(st.ino) : undefined;
      if (first !== undefined && await lstatOrNull(first)) { await fs.link(first, d); continue; }
      if (st.isFile()) {
        await fs.copyFile(s, d, fs.constants.COPYFILE_EXCL);
        if (own) await fs.lchown(d, st.uid, st.gid);
        await fs.chmod(d, st.mode & 0o7777);
        await fs.utimes(d, st.atime, st.mtime);
      } else if (st.isSymbolicLink()) {
        await fs.symlink(await fs.readlink(s), d);
        if (own) await fs.lchown(d, st.uid, st.gid);
        await fs.lutimes(d, st.atime, st.mtime);
      } else {
        const kind = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : null;
        if (!kind) continue; // sockets are not layer content
        ops.push({ op: 'mknod', path: d, kind, mode: st.mode & 0o7777, major: devMajor(st.rdev), minor: devMinor(st.rdev), uid: own ? st.uid : -1, gid: own ? st.gid : -1 });
        specials.push({ d, st });
      }
      if (st.nlink > 1) inodes.set(st.ino, d);
      copyXattrs(s, d);
    }
  };
  await applyDir(layerDir, dest, 1);
  for (const { d, st } of dirs) {
    if (own) await fs.lchown(d, st.uid, st.gid);
    await fs.chmod(d, st.mode & 0o7777);
  }
  await sys.run(ops);
  for (const { d, st } of specials) await fs.lutimes(d, st.atime, st.mtime);
  dirs.sort((a, b) => b.depth - a.depth);
  for (const { d, st } of dirs) await fs.utimes(d, st.atime, st.mtime);
}
