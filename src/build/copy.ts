// COPY and ADD: sources chosen from an untrusted tree (the build context minus .dockerignore, or
// another stage's root), copied into the step's root filesystem by the layer worker. Sources are
// names inside the tree: `..` may not climb out of the context, and a symlink in the tree is copied
// as a symlink, never followed (a source path through a symlink is not found). The destination is
// resolved inside the new root as the container would see it (the worker's `indest`: openat2
// RESOLVE_IN_ROOT, missing directories made), and everything below it beneath that directory
// without following symlinks. ADD extracts a local tar archive (plain, gzip or zstd) instead of
// copying it; ADD from a URL is not supported.
import crypto from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HakoError, quote } from '../util/errors.js';
import { LayerWorker } from '../storage/layers/worker.js';
import { rec } from '../native/ops.js';
import { resolveUser } from '../engine/user.js';
import { cleanRel, isIgnored, patternRegExp, type IgnoreRule } from './patterns.js';
import { SourceTree, type TreeNode } from './tree.js';

export interface CopySource {
  /** The source as written (for messages). */
  written: string;
  /** The matched node; undefined for the tree's root itself (`COPY . /app`). */
  node?: TreeNode;
}

export interface CopyRequest {
  keyword: 'COPY' | 'ADD';
  sources: CopySource[];
  /** The destination in the container, absolute (WORKDIR applied). */
  dest: string;
  /** The destination names a directory (a trailing slash, several sources, a directory source). */
  destIsDir: boolean;
  chown?: string;
  chmod?: number;
}

/** The tree's nodes a COPY may see: all, or those .dockerignore leaves in the context. */
export function visibleNodes(tree: SourceTree, ignore: IgnoreRule[] | undefined): TreeNode[] {
  return ignore?.length ? tree.nodes.filter((n) => !isIgnored(n.rel, ignore)) : tree.nodes;
}

/** Matches COPY/ADD sources against the tree (glob patterns as Go's filepath.Match). */
export function selectSources(keyword: string, written: string[], nodes: TreeNode[], fromContext: boolean): CopySource[] {
  const byRel = new Map(nodes.map((n) => [n.rel, n]));
  const out: CopySource[] = [];
  for (const src of written) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src)) throw new HakoError(`${keyword} ${quote(src)}: sources from URLs are not supported by hako build`);
    if (fromContext && climbsOut(src)) throw new HakoError(`${keyword} ${quote(src)}: forbidden path outside the build context`);
    const written = cleanRel(src);
    // In another stage's root, symlinks in the parents resolve inside that root (merged /usr:
    // /lib -> usr/lib), from the listing only; the context's are never followed.
    const rel = fromContext || /[*?[\\]/.test(written) ? written : resolveParents(written, byRel);
    if (rel === '') {
      out.push({ written: src });
      continue;
    }
    const matches = /[*?[\\]/.test(rel) ? nodes.filter((n) => patternRegExp(rel).test(n.rel)) : byRel.has(rel) ? [byRel.get(rel)!] : [];
    if (!matches.length) throw new HakoError(`${keyword} ${quote(src)}: not found${fromContext ? ' in the build context (or excluded by .dockerignore)' : ''}`);
    for (const node of matches) out.push({ written: src, node });
  }
  return out;
}

/** `rel` with each symlink among its parents replaced by its target, as RESOLVE_IN_ROOT would
 *  (absolute targets from the root, `..` stopping at the root), looked up in the tree's listing: no
 *  file system access. The last component is left as it is. At most 40 links, as the kernel. */
export function resolveParents(rel: string, byRel: Map<string, TreeNode>): string {
  let todo = rel.split('/').filter(Boolean);
  const done: string[] = [];
  for (let hops = 0; todo.length > 1; ) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const node = byRel.get([...done, part].join('/'));
    if (node?.type !== 'l') {
      done.push(part);
      continue;
    }
    if (++hops > 40) return rel; // a loop: not found, as it is
    const target = node.target.toString('utf8');
    if (target.startsWith('/')) done.length = 0;
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  return cleanRel([...done, ...todo].join('/'));
}

function climbsOut(src: string): boolean {
  let depth = 0;
  for (const part of src.split('/')) {
    if (part === '..') {
      if (--depth < 0) return true;
    } else if (part && part !== '.') depth++;
  }
  return false;
}

/** What is copied from below each source: [node, path relative to the destination]. */
function expand(req: CopyRequest, nodes: TreeNode[]): Array<[TreeNode, string]> {
  const out: Array<[TreeNode, string]> = [];
  for (const s of req.sources) {
    if (!s.node || s.node.type === 'd') {
      const prefix = s.node ? `${s.node.rel}/` : '';
      for (const n of nodes) if (n.rel.startsWith(prefix)) out.push([n, n.rel.slice(prefix.length)]);
    } else {
      out.push([s.node, req.destIsDir ? path.posix.basename(s.node.rel) : '']);
    }
  }
  return out;
}

/** The cache checksum of what a COPY takes: names, types, modes, link targets, file contents. */
export async function sourcesChecksum(req: CopyRequest, tree: SourceTree, nodes: TreeNode[]): Promise<string> {
  const h = crypto.createHash('sha256');
  for (const [n, rel] of expand(req, nodes)) {
    h.update(`${rel}\0${n.rel}\0${n.type}\0${n.mode}\0${n.target.toString('hex')}\0`);
    if (n.type === 'f') h.update(await tree.sha256(n.rel));
    h.update('\n');
  }
  return h.digest('hex');
}

/** Copies the sources into `rootfs` (a mounted step root). `scratchDir` makes an empty private
 *  directory of ours (for extracting ADD archives). */
export async function applyCopy(req: CopyRequest, tree: SourceTree, nodes: TreeNode[], rootfs: string, scratchDir: () => string): Promise<void> {
  const owner = req.chown ? resolveUser(req.chown, rootfs) : { uid: 0, gid: 0 };
  let destDir = req.dest;
  let destName = '';
  const single = !req.destIsDir ? req.sources[0]?.node : undefined;
  if (single && single.type !== 'd') {
    destDir = path.posix.dirname(req.dest);
    destName = path.posix.basename(req.dest);
  }
  const archives: TreeNode[] = [];
  const w = new LayerWorker(rootfs, tree.dir, `${req.keyword} ${req.dest}`, { mount: tree.mount });
  try {
    w.op(rec('indest', destDir), req.dest);
    if (destName && (await w.query(rec('list', ''), req.dest)).some((e) => e[1]?.toString() === destName && e[2]?.toString() === 'd')) {
      w.op(rec('indest', req.dest), req.dest); // an existing directory: the file goes into it
      destName = path.posix.basename(single!.rel);
    }
    const dirs: Array<[TreeNode, string]> = [];
    for (const [n, relIn] of expand(req, nodes)) {
      const rel = relIn || destName;
      if (req.keyword === 'ADD' && n.type === 'f' && (await isArchive(tree, n))) {
        archives.push(n);
        continue;
      }
      copyOp(w, n, rel, owner, req.chmod, dirs);
      await w.flush();
    }
    for (const [d, rel] of dirs) w.op(rec('dirmeta', rel, String(owner.uid), String(owner.gid), String(req.chmod ?? d.mode)), rel);
    await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
  // An archive goes into the destination itself (`ADD app.tar.gz /opt` fills /opt).
  for (const a of archives) await extractArchive(tree, a, rootfs, req.dest, scratchDir());
}

function copyOp(
  w: LayerWorker,
  n: TreeNode,
  rel: string,
  owner: { uid: number; gid: number },
  chmod: number | undefined,
  dirs: Array<[TreeNode, string]>,
): void {
  if (rel === '') return; // the source directory itself: its contents go into the destination
  if (n.type === 'd') {
    w.op(rec('mkdir', rel, '448', 'fail'), rel);
    dirs.push([n, rel]);
  } else if (n.type === 'f') {
    w.op(rec('copy', rel, n.rel, owner.uid, owner.gid, chmod ?? n.mode, n.atime, n.mtime), rel);
  } else if (n.type === 'l') {
    w.op(rec('symlink', rel, n.target, owner.uid, owner.gid, n.atime, n.mtime), rel);
  }
  // Devices, fifos and sockets in a context are not copied.
}

const MAGIC: Buffer[] = [Buffer.from([0x1f, 0x8b]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];

async function isArchive(tree: SourceTree, n: TreeNode): Promise<boolean> {
  if (n.size < 512 && n.size < 4) return false;
  const head = (await tree.content(n.rel, Math.min(n.size, 512)).next()).value as Buffer | undefined;
  if (!head) return false;
  if (MAGIC.some((m) => head.subarray(0, m.length).equals(m))) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

/** ADD of a local archive: unpacked by the layer unpacker into a private directory (its entries
 *  keep their owners and modes), then copied into the destination like a COPY of that directory. */
async function extractArchive(tree: SourceTree, n: TreeNode, rootfs: string, destDir: string, tmp: string): Promise<void> {
  try {
    const { unpackLayer } = await import('../storage/layers/index.js');
    await unpackLayer(Readable.from(tree.content(n.rel, n.size)), tmp, { mode: 'flatten' }).catch((e: Error) => {
      throw new HakoError(`ADD ${quote(n.rel)}: ${e.message}`);
    });
    const extracted = await SourceTree.open(tmp, `ADD ${n.rel}`);
    await extracted.close();
    const w = new LayerWorker(rootfs, tmp, `ADD ${n.rel}`);
    try {
      w.op(rec('indest', destDir), destDir);
      const dirs: Array<[TreeNode, string]> = [];
      for (const e of extracted.nodes) {
        copyOp(w, e, e.rel, { uid: e.uid, gid: e.gid }, undefined, dirs);
        await w.flush();
      }
      for (const [d, rel] of dirs) w.op(rec('dirmeta', rel, String(d.uid), String(d.gid), String(d.mode)), rel);
      await w.close();
    } catch (e) {
      await w.abort();
      throw e;
    }
  } finally {
    const { removeTree } = await import('../storage/layers/worker.js');
    removeTree(tmp);
  }
}
