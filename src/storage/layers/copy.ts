// The copy fallback: applies unpacked layer directories (overlay-mode layout) one after the other
// onto a plain directory, with the semantics an overlay mount would show:
// - a 0/0 char device, or a zero-size file with trusted.overlay.whiteout, hides the name below;
// - a directory with trusted.overlay.opaque="y" hides everything below it;
// - a directory over a non-directory replaces it, a non-directory replaces whatever was there;
// - directories merge, the upper one's owner/mode/mtime win.
// trusted.overlay.* attributes are markers and are not copied; other xattrs are. Hard links inside
// one layer stay hard links.
//
// A layer directory holds whatever the image put there, so it is as hostile as the tar was: both
// sides go through one layer worker (worker.ts), holding the layer (SOURCE) and the destination by
// fd. `walk` lists the layer breadth first (parents before children, no recursion anywhere), and
// every operation resolves beneath its fd without following a symlink; a regular file is checked to
// be one before it is opened for reading, device nodes and fifos are recreated, never opened.

import { LayerWorker, type Answer } from './worker.js';
import { rec } from '../../native/ops.js';
import { OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_XATTR } from './names.js';

/** One entry of the worker's `walk` answer. */
export interface WalkNode {
  rel: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  major: string;
  minor: string;
  size: number;
  nlink: number;
  ino: string;
  atime: string;
  mtime: string;
  target: Buffer;
  xattrs: Map<string, Buffer>;
}

export function parseWalk(answer: Answer): WalkNode[] {
  const nodes: WalkNode[] = [];
  for (let i = 0; i < answer.length; i += 2) {
    const e = answer[i]!.map((b) => b);
    const x = answer[i + 1] ?? [];
    const s = (k: number) => e[k]!.toString('utf8');
    const xattrs = new Map<string, Buffer>();
    for (let k = 1; k + 1 < x.length; k += 2) xattrs.set(x[k]!.toString('utf8'), x[k + 1]!);
    nodes.push({
      rel: s(1),
      type: s(2),
      mode: Number(s(3)),
      uid: Number(s(4)),
      gid: Number(s(5)),
      major: s(6),
      minor: s(7),
      size: Number(s(8)),
      nlink: Number(s(9)),
      ino: s(10),
      atime: s(11),
      mtime: s(12),
      target: e[13]!,
      xattrs,
    });
  }
  return nodes;
}

export async function copyLayerOnto(layerDir: string, dest: string, opts: { preserveOwnership?: boolean } = {}): Promise<void> {
  const own = opts.preserveOwnership ?? process.getuid?.() === 0;
  const id = (n: number) => String(own ? n : -1);
  const w = new LayerWorker(dest, layerDir, `layer copy ${layerDir}`);
  try {
    const nodes = parseWalk(await w.query(rec('walk'), '.'));
    const dirs: WalkNode[] = [];
    const inodes = new Map<string, string>();
    const copyXattrs = (n: WalkNode) => {
      for (const [k, v] of n.xattrs) if (!k.startsWith('trusted.overlay.')) w.op(rec('xattr', n.rel, k, v), n.rel);
    };
    for (const n of nodes) {
      const whiteout = (n.type === 'c' && n.major === '0' && n.minor === '0') || (n.type === 'f' && n.size === 0 && n.xattrs.has(OVERLAY_WHITEOUT_XATTR));
      if (whiteout) {
        w.op(rec('remove', n.rel), n.rel);
        continue;
      }
      if (n.type === 'd') {
        // An existing directory merges (or is emptied when opaque), a non-directory is replaced.
        // Breadth first: this happens before anything of this layer below it.
        w.op(rec('mkdir', n.rel, '448', 'replace'), n.rel);
        if (n.xattrs.get(OVERLAY_OPAQUE_XATTR)?.toString() === 'y') w.op(rec('empty', n.rel), n.rel);
        dirs.push(n);
      } else if (n.nlink > 1 && inodes.has(n.ino)) {
        w.op(rec('link', n.rel, inodes.get(n.ino)!), n.rel);
        continue;
      } else if (n.type === 'f') {
        w.op(rec('copy', n.rel, n.rel, id(n.uid), id(n.gid), String(n.mode), n.atime, n.mtime), n.rel);
      } else if (n.type === 'l') {
        w.op(rec('symlink', n.rel, n.target, id(n.uid), id(n.gid), n.atime, n.mtime), n.rel);
      } else if (n.type === 'c' || n.type === 'b' || n.type === 'p') {
        const kind = n.type === 'p' ? 'fifo' : n.type === 'c' ? 'char' : 'block';
        w.op(rec('node', n.rel, kind, String(n.mode), n.major, n.minor, id(n.uid), id(n.gid), n.atime, n.mtime), n.rel);
      } else {
        continue; // sockets are not layer content
      }
      if (n.type !== 'd') {
        if (n.nlink > 1) inodes.set(n.ino, n.rel);
        copyXattrs(n);
      }
      await w.flush();
    }
    // Directories: owner and mode, then xattrs (chown clears capabilities, chmod rewrites ACLs),
    // then times deepest first (creating children changed them).
    for (const d of dirs) w.op(rec('dirmeta', d.rel, id(d.uid), id(d.gid), String(d.mode)), d.rel);
    for (const d of dirs) copyXattrs(d);
    const depth = (p: string) => p.split('/').length;
    for (const d of [...dirs].sort((a, b) => depth(b.rel) - depth(a.rel))) w.op(rec('dirtime', d.rel, d.atime, d.mtime), d.rel);
    await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
}
