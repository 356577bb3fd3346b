// A build step's layer: the overlay upper directory of the step (what RUN or COPY changed), as an
// OCI layer tar, gzip-compressed, stored as a blob with its diffID. overlayfs' whiteouts (0/0
// character devices) become `.wh.NAME` entries, opaque directories (trusted.overlay.opaque=y) get a
// `.wh..wh..opq` entry; overlayfs' own xattrs are dropped. The upper directory is read through the
// layer worker only (tree.ts): no symlink in it is ever followed. Hard links stay hard links.
import crypto from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import type { ContentStore } from '../storage/store/index.js';
import { MediaType } from '../oci/image/types.js';
import {
  FUSE_OPAQUE_MARKERS,
  FUSE_OPAQUE_XATTR,
  OPAQUE_MARKER,
  OVERLAY_OPAQUE_XATTR,
  OVERLAY_WHITEOUT_XATTR,
  OVERLAY_XATTR_PREFIXES,
  WHITEOUT_PREFIX,
} from '../storage/layers/names.js';
import { SourceTree, type TreeNode } from './tree.js';
import { TarWriter } from './tar.js';

export interface BuiltLayer {
  digest: string;
  size: number;
  mediaType: string;
  diffID: string;
}

/** The layer of `upperDir`, or undefined when the step changed nothing. `skip`: paths (relative)
 *  that are mount points of the step's container (their stubs are not content). */
export async function layerFromUpper(store: ContentStore, upperDir: string, skip: Set<string>): Promise<BuiltLayer | undefined> {
  const tree = await SourceTree.open(upperDir, 'build layer');
  try {
    const fuseOpaque = new Set(tree.nodes.filter((n) => n.xattrs.get(FUSE_OPAQUE_XATTR)?.toString() === 'y').map((n) => n.rel));
    const fuseMarker = (rel: string) => FUSE_OPAQUE_MARKERS.includes(path.posix.basename(rel)) && fuseOpaque.has(path.posix.dirname(rel));
    const nodes = tree.nodes.filter((n) => !skip.has(n.rel) && n.type !== 's' && !fuseMarker(n.rel));
    if (nodes.length === 0) {
      await tree.close();
      return undefined;
    }
    const tarStream = new PassThrough();
    const stored = storeTarGz(store, tarStream);
    const tar = new TarWriter(tarStream);
    const links = new Map<string, string>();
    try {
      for (const n of nodes) await addEntry(tar, tree, n, links);
      await tar.end();
    } catch (e) {
      tarStream.destroy(e as Error);
      await stored.catch(() => {});
      throw e;
    }
    const layer = await stored;
    await tree.close();
    return layer;
  } catch (e) {
    await tree.abort();
    throw e;
  }
}

/** Compresses a tar stream into the store; the blob's digest and the tar's (the diffID). */
async function storeTarGz(store: ContentStore, tarStream: Readable): Promise<BuiltLayer> {
  const diff = crypto.createHash('sha256');
  const hashed = new PassThrough();
  tarStream.on('data', (c: Buffer) => diff.update(c));
  tarStream.on('error', (e) => hashed.destroy(e));
  const gz = tarStream.pipe(zlib.createGzip({ level: 6 }));
  gz.pipe(hashed);
  const blob = await store.putBlob(hashed);
  return { digest: blob.digest, size: blob.size, mediaType: MediaType.OCI_LAYER_GZIP, diffID: `sha256:${diff.digest('hex')}` };
}

function isWhiteout(n: TreeNode): boolean {
  return (n.type === 'c' && n.major === '0' && n.minor === '0') || (n.type === 'f' && n.size === 0 && n.xattrs.has(OVERLAY_WHITEOUT_XATTR));
}

/** An opaque directory: trusted.overlay.opaque, or user.overlay.opaque from a rootless step's overlay
 *  (mounted with userxattr in the step's user namespace), or fuse-overlayfs's mark. */
function isOpaque(n: TreeNode): boolean {
  return [OVERLAY_OPAQUE_XATTR, OVERLAY_OPAQUE_XATTR.replace(/^trusted\./, 'user.'), FUSE_OPAQUE_XATTR].some((x) => n.xattrs.get(x)?.toString() === 'y');
}

async function addEntry(tar: TarWriter, tree: SourceTree, n: TreeNode, links: Map<string, string>): Promise<void> {
  const slash = n.rel.lastIndexOf('/');
  const dir = slash < 0 ? '' : n.rel.slice(0, slash + 1);
  const mtime = Number(BigInt(n.mtime) / 1000000000n);
  const marker = (name: string) => tar.entry({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, size: 0 });
  if (isWhiteout(n)) return marker(`${dir}${WHITEOUT_PREFIX}${n.rel.slice(slash + 1)}`);
  const base = { name: n.rel, mode: n.mode, uid: n.uid, gid: n.gid, mtime, pax: paxXattrs(n) };
  if (n.type === 'd') {
    await tar.entry({ ...base, name: `${n.rel}/`, type: 'directory' });
    if (isOpaque(n)) await marker(`${n.rel}/${OPAQUE_MARKER}`);
  } else if (n.type === 'f' && n.nlink > 1 && links.has(n.ino)) {
    await tar.entry({ ...base, type: 'link', linkname: links.get(n.ino)! });
  } else if (n.type === 'f') {
    if (n.nlink > 1) links.set(n.ino, n.rel);
    await tar.entry({ ...base, type: 'file', size: n.size }, tree.content(n.rel, n.size));
  } else if (n.type === 'l') {
    await tar.entry({ ...base, type: 'symlink', linkname: n.target.toString('utf8') });
  } else {
    await tar.entry({ ...base, type: n.type === 'c' ? 'char' : n.type === 'b' ? 'block' : 'fifo', devmajor: Number(n.major), devminor: Number(n.minor) });
  }
}

/** xattrs other than overlayfs' own, as PAX SCHILY.xattr records with their raw bytes. */
function paxXattrs(n: TreeNode): Map<string, Buffer> | undefined {
  let pax: Map<string, Buffer> | undefined;
  for (const [k, v] of n.xattrs) {
    if (OVERLAY_XATTR_PREFIXES.some((p) => k.startsWith(p))) continue;
    (pax ??= new Map()).set(`SCHILY.xattr.${k}`, v);
  }
  return pax;
}
