// A build step's layer: the overlay upper directory of the step (what RUN or COPY changed), as an
// OCI layer tar, gzip-compressed, stored as a blob with its diffID. overlayfs' whiteouts (0/0
// character devices) become `.wh.NAME` entries, opaque directories (trusted.overlay.opaque=y) get a
// `.wh..wh..opq` entry; overlayfs' own xattrs are dropped. The upper directory is read through the
// layer worker only (tree.ts): no symlink in it is ever followed. Hard links stay hard links.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { once } from 'node:events';
import type { ContentStore } from '../storage/store/index.js';
import { MediaType } from '../oci/image/types.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_XATTR, WHITEOUT_PREFIX } from '../storage/layers/names.js';
import { SourceTree, type TreeNode } from './tree.js';

export interface BuiltLayer {
  digest: string;
  size: number;
  mediaType: string;
  diffID: string;
}

type Pack = import('tar-stream').Pack;
/** tar-stream writes `pax` records too (its types do not say so). */
type Header = Parameters<Pack['entry']>[0] & { pax?: Record<string, string> };

/** The layer of `upperDir`, or undefined when the step changed nothing. `skip`: paths (relative)
 *  that are mount points of the step's container (their stubs are not content). */
export async function layerFromUpper(store: ContentStore, upperDir: string, skip: Set<string>): Promise<BuiltLayer | undefined> {
  const tree = await SourceTree.open(upperDir, 'build layer');
  try {
    const nodes = tree.nodes.filter((n) => !skip.has(n.rel) && n.type !== 's');
    if (nodes.length === 0) { await tree.close(); return undefined; }
    const { default: tar } = await import('tar-stream');
    const pack = tar.pack();
    const stored = storeTarGz(store, pack as unknown as Readable);
    const links = new Map<string, string>();
    for (const n of nodes) await addEntry(pack, tree, n, links);
    pack.finalize();
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

async function addEntry(pack: Pack, tree: SourceTree, n: TreeNode, links: Map<string, string>): Promise<void> {
  const slash = n.rel.lastIndexOf('/');
  const dir = slash < 0 ? '' : n.rel.slice(0, slash + 1);
  const base: Header = {
    name: n.rel, mode: n.mode, uid: n.uid, gid: n.gid, mtime: new Date(Math.floor(Number(BigInt(n.mtime) / 1000000n))),
  };
  if (isWhiteout(n)) {
    await entry(pack, { name: `${dir}${WHITEOUT_PREFIX}${n.rel.slice(slash + 1)}`, mode: 0o644, uid: 0, gid: 0, mtime: base.mtime, size: 0 });
    return;
  }
  const pax = paxXattrs(n);
  if (pax) base.pax = pax;
  if (n.type === 'd') {
    await entry(pack, { ...base, name: `${n.rel}/`, type: 'directory' });
    if (n.xattrs.get(OVERLAY_OPAQUE_XATTR)?.toString() === 'y') {
      await entry(pack, { name: `${n.rel}/${OPAQUE_MARKER}`, mode: 0o644, uid: 0, gid: 0, mtime: base.mtime, size: 0 });
    }
  } else if (n.type === 'f' && n.nlink > 1 && links.has(n.ino)) {
    await entry(pack, { ...base, type: 'link', linkname: links.get(n.ino)!, size: 0 });
  } else if (n.type === 'f') {
    if (n.nlink > 1) links.set(n.ino, n.rel);
    await fileEntry(pack, tree, { ...base, type: 'file', size: n.size });
  } else if (n.type === 'l') {
    await entry(pack, { ...base, type: 'symlink', linkname: n.target.toString('utf8') });
  } else {
    const type = n.type === 'c' ? 'character-device' : n.type === 'b' ? 'block-device' : 'fifo';
    await entry(pack, { ...base, type, devmajor: Number(n.major), devminor: Number(n.minor) });
  }
}

/** xattrs other than overlayfs' own, as PAX SCHILY.xattr records. tar-stream writes PAX values
 *  as UTF-8 text, so a value that is not valid UTF-8 (a binary security.capability) is left out. */
function paxXattrs(n: TreeNode): Record<string, string> | undefined {
  let pax: Record<string, string> | undefined;
  for (const [k, v] of n.xattrs) {
    if (k.startsWith('trusted.overlay.') || k.startsWith('user.overlay.')) continue;
    const text = v.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(v)) continue;
    (pax ??= {})[`SCHILY.xattr.${k}`] = text;
  }
  return pax;
}

async function entry(pack: Pack, header: Header): Promise<void> {
  // A file entry without content still needs its (empty) content to finish.
  const empty = header.type === undefined || header.type === 'file' ? Buffer.alloc(0) : undefined;
  await new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (empty) pack.entry(header, empty, cb); else pack.entry(header, cb);
  });
}

async function fileEntry(pack: Pack, tree: SourceTree, header: Header): Promise<void> {
  let finished!: (err?: Error | null) => void;
  const done = new Promise<void>((resolve, reject) => { finished = (err) => (err ? reject(err) : resolve()); });
  const stream = pack.entry(header, (err) => finished(err));
  for await (const chunk of tree.content(header.name, header.size ?? 0)) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  (stream as unknown as { end(): void }).end();
  await done;
}
