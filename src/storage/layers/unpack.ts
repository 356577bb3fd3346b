// Applying one OCI layer (a tar, maybe gzip/zstd compressed) to a directory.
//
// Two modes:
// - 'overlay': dest is this layer's own directory, later used as an overlayfs lowerdir. Whiteouts
//   become what overlayfs understands: a 0/0 char device (default, every kernel) or, with
//   whiteout: 'xattr', a zero-size file with trusted.overlay.whiteout and its parent marked
//   trusted.overlay.opaque="x" (kernel >= 6.7, no mknod needed). Opaque dirs get
//   trusted.overlay.opaque="y".
// - 'flatten': dest already holds the lower layers (a rootfs copy); whiteouts delete.
//   Where an entry needs a directory and a LOWER layer left a non-directory (e.g. a symlink) there,
//   the non-directory is replaced, which is exactly what an overlay mount would show.
//
// Safety (the tar is untrusted): names are split by paths.ts (absolute and ".." rejected). This
// module decides, the layer worker (worker.ts, native/unpack.c) acts: every create, write, chown,
// chmod, utimes, mknod, setxattr and remove happens relative to the destination's directory fd,
// parents resolved with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), the final component never
// followed, files created O_EXCL after whatever was there is removed. So a symlink the layer made
// as a parent makes the entry fail, and nothing is written through an existing link.
// Metadata queued for later (directory owner/mode/xattrs/mtime) is forgotten when a later entry
// replaces or removes its path (forget()); if anything slipped through, the worker's resolution
// fails on the replaced path instead of following it.
//
// Order of metadata (why): chown before chmod (chown clears setuid/setgid); xattrs after chown
// (chown clears security.capability); directory modes, xattrs and mtimes last, mtimes deepest
// first, because creating children changes a directory's mtime and a 0555 directory would block
// them.

import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { IdMapping } from '../../oci/types.js';
import { describeSystemError, HakoError } from '../../util/errors.js';
import { compressionFromMediaType, decompressor, sniffCompression } from './compression.js';
import { PaxScanner } from './pax-raw.js';
import { quoteName, splitMemberName } from './paths.js';
import { LayerWorker, ns } from './worker.js';
import { rec } from '../../native/ops.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_XATTR, OVERLAY_XATTR_PREFIXES } from './names.js';

/** Container ids -> host ids, for layers unpacked for a user-namespaced container. */
export interface IdMap {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** Added to the error of an owner beyond the maps: where more ids would come from. */
  why?: { uid: string; gid: string };
}

export interface UnpackOptions {
  /** The descriptor's media type: checked to be a tar layer; the bytes themselves decide compression. */
  mediaType?: string;
  /** Default 'overlay'. */
  mode?: 'overlay' | 'flatten';
  /** How overlay mode writes whiteouts; default 'chardev'. */
  whiteout?: 'chardev' | 'xattr';
  idMap?: IdMap;
  /** lchown entries to their (mapped) owners; default: when running as root. */
  preserveOwnership?: boolean;
  /** Where overlay mode's markers go: `trusted.overlay.*` (default: a mount by real root) or
   *  `user.overlay.*`, what a mount with `userxattr` reads (rootless: a mount in a user namespace,
   *  which cannot read trusted.* xattrs). */
  overlayXattrs?: 'trusted' | 'user';
  /** Character and block devices of the layer: made (default), or skipped where mknod is refused
   *  (a user namespace), as moby's and containers/storage's unpackers skip them there. */
  devices?: 'create' | 'skip';
  /** `.wh.` names are whiteouts (default); false for a plain tar (`hako cp -`): they are files. */
  whiteouts?: boolean;
  /** The worker to write through, instead of one on `dest` (`hako cp -` resolves dest in a root). */
  worker?: LayerWorker;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar: "sha256:<hex>". */
  diffID: string;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Bytes read from the input. */
  compressedSize: number;
}

/** A tar entry's data stream (a streamx Readable). */
type EntryBody = AsyncIterable<Buffer> & { resume(): unknown };

interface DirMeta {
  entry: string;
  uid: number;
  gid: number;
  mode: number;
  mtime: Date;
}

function mapId(id: number, maps: IdMapping[] | undefined, kind: string, entry: string, why?: string): number {
  if (!maps) return id;
  for (const m of maps) {
    if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  }
  throw new HakoError(`layer entry ${quoteName(entry)}: ${kind} ${id} is not mapped${why ? `: ${why}` : ''}`);
}

const under = (p: string, rel: string) => p === rel || p.startsWith(`${rel}/`) || rel === '';

/** The layer's own xattrs less overlayfs' metadata names (see OVERLAY_XATTR_PREFIXES). */
function withoutOverlayXattrs(xattrs: Record<string, Buffer>): Record<string, Buffer> {
  const kept: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(xattrs)) if (!OVERLAY_XATTR_PREFIXES.some((p) => k.startsWith(p))) kept[k] = v;
  return kept;
}

class Unpacker {
  /** Relative paths this layer created (or merged into): whiteouts and opaque markers spare them. */
  private created = new Set<string>();
  /** Relative paths known to be real directories now. Prefix-closed: it holds every parent of what
   *  it holds, and every path with queued metadata below it (so forget() needs to look only when
   *  the replaced path is in it). */
  private knownDirs = new Set<string>(['']);
  private dirMeta = new Map<string, DirMeta>();
  private dirXattrs = new Map<string, Array<{ entry: string; name: string; value: Buffer }>>();
  private opaqueDirs = new Map<string, string>();
  private xwhiteoutParents = new Map<string, string>();
  private readonly mode: 'overlay' | 'flatten';
  private readonly ownership: boolean;

  constructor(
    private readonly w: LayerWorker,
    private readonly opts: UnpackOptions,
  ) {
    this.mode = opts.mode ?? 'overlay';
    this.ownership = opts.preserveOwnership ?? process.getuid?.() === 0;
  }

  /** An overlay marker's name in the namespace the mount reads (see overlayXattrs). */
  private xattr(name: string): string {
    return this.opts.overlayXattrs === 'user' ? name.replace(/^trusted\./, 'user.') : name;
  }

  /** `rel` is about to be replaced or removed: drop everything queued for it and below it. */
  private forget(rel: string): void {
    if (!this.knownDirs.has(rel)) return; // nothing is queued below a path not known as a directory
    for (const p of this.knownDirs) if (p !== '' && under(p, rel)) this.knownDirs.delete(p);
    // rel itself stays "created" if it was: a path this layer made keeps counting as its own.
    for (const p of this.created) if (p !== rel && under(p, rel)) this.created.delete(p);
    for (const map of [this.dirMeta, this.dirXattrs, this.opaqueDirs, this.xwhiteoutParents]) {
      for (const p of map.keys()) if (under(p, rel)) map.delete(p);
    }
  }

  /** Makes every component of `parts` a real directory inside dest (creating missing ones). */
  private ensureDirs(parts: string[], entry: string): void {
    let rel = '';
    for (const c of parts) {
      rel = rel === '' ? c : `${rel}/${c}`;
      if (this.knownDirs.has(rel)) {
        this.created.add(rel);
        continue;
      }
      // An existing directory is merged into. A non-directory there is an error if this layer made
      // it (or in overlay mode, where dest started empty); in flatten mode a LOWER layer's
      // non-directory is replaced, as overlayfs shows it, and never followed.
      const replace = this.mode === 'flatten' && !this.created.has(rel);
      this.w.op(rec('mkdir', rel, '493', replace ? 'replace' : 'fail'), entry); // 0755
      this.created.add(rel);
      this.knownDirs.add(rel);
    }
  }

  private owner(h: tar.Header, name: string): { uid: number; gid: number } {
    const pax = (h.pax ?? {}) as Record<string, string | undefined>;
    const uid = Number(pax.uid ?? h.uid ?? 0);
    const gid = Number(pax.gid ?? h.gid ?? 0);
    const map = this.opts.idMap;
    return { uid: mapId(uid, map?.uidMappings, 'uid', name, map?.why?.uid), gid: mapId(gid, map?.gidMappings, 'gid', name, map?.why?.gid) };
  }

  async entry(h: tar.Header, body: EntryBody, paxXattrs: Record<string, Buffer>): Promise<void> {
    const name = h.name;
    const xattrs = withoutOverlayXattrs(paxXattrs);
    const parts = splitMemberName(name);
    const rel = parts.join('/');
    const base = parts.length ? parts[parts.length - 1]! : '';
    const parent = parts.slice(0, -1);
    const mtime = h.mtime instanceof Date && !Number.isNaN(h.mtime.getTime()) ? h.mtime : new Date(0);
    const mode = (h.mode ?? 0o644) & 0o7777;

    if (base.startsWith(WHITEOUT_PREFIX) && this.opts.whiteouts !== false) {
      body.resume();
      return this.whiteoutEntry(base, parent, name, mtime);
    }
    if (parts.length === 0) {
      body.resume();
      if (h.type !== 'directory') throw new HakoError(`layer entry ${quoteName(name)}: the layer root must be a directory`);
      this.dirMeta.set('', { entry: name, ...this.owner(h, name), mode, mtime });
      for (const [k, v] of Object.entries(xattrs)) this.queueDirXattr('', name, k, v);
      return;
    }

    this.ensureDirs(parent, name);
    const { uid, gid } = this.owner(h, name);
    if (h.type === 'directory') {
      body.resume();
      // An existing directory is kept (dir over dir merges); anything else there is replaced.
      this.w.op(rec('mkdir', rel, '448', 'replace'), name); // 0700 until finish() sets the mode
      this.knownDirs.add(rel);
      this.created.add(rel);
      this.dirMeta.set(rel, { entry: name, uid, gid, mode, mtime });
      for (const [k, v] of Object.entries(xattrs)) this.queueDirXattr(rel, name, k, v);
      return;
    }
    // Every other type replaces whatever is at rel (the worker removes it first).
    await this.nonDirectory(h, body, { rel, name, uid, gid, mode, t: ns(mtime) });
    this.created.add(rel);
    // A non-directory's owner and mode are set by now: its xattrs can go right away.
    for (const [k, v] of Object.entries(xattrs)) this.w.op(rec('xattr', rel, k, v), name);
    await this.w.flush();
  }

  /** `.wh..wh..opq` makes its directory opaque, `.wh.NAME` removes NAME from the layers below. */
  private whiteoutEntry(base: string, parent: string[], name: string, mtime: Date): Promise<void> | void {
    if (base === OPAQUE_MARKER) return this.opaque(parent, name);
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // AUFS metadata (.wh..wh.plnk etc.): not content
    const target = base.slice(WHITEOUT_PREFIX.length);
    if (target === '' || target === '.' || target === '..') throw new HakoError(`layer entry ${quoteName(name)}: invalid whiteout`);
    return this.whiteout(parent, target, name, ns(mtime));
  }

  /** A file, symlink, hard link, device or FIFO at `e.rel`, replacing whatever is there. */
  private async nonDirectory(
    h: tar.Header,
    body: EntryBody,
    e: { rel: string; name: string; uid: number; gid: number; mode: number; t: string },
  ): Promise<void> {
    const { rel, name, t } = e;
    const own = (id: number) => String(this.ownership ? id : -1);
    switch (h.type) {
      case 'file':
      case 'contiguous-file': {
        this.forget(rel);
        const size = h.size ?? 0;
        this.w.op(rec('file', rel, String(size), own(e.uid), own(e.gid), String(e.mode), t, t), name);
        let sent = 0;
        for await (const chunk of body) {
          sent += chunk.length;
          this.w.raw(chunk);
          await this.w.flush();
        }
        if (sent !== size) throw new HakoError(`layer entry ${quoteName(name)}: ${sent} bytes of content, header says ${size}`);
        return;
      }
      case 'symlink': {
        body.resume();
        if (!h.linkname) throw new HakoError(`layer entry ${quoteName(name)}: symlink without target`);
        this.forget(rel);
        this.w.op(rec('symlink', rel, h.linkname, own(e.uid), own(e.gid), t, t), name);
        return;
      }
      case 'link': {
        body.resume();
        const target = this.hardlinkTarget(h.linkname ?? '', name);
        if (target === rel) throw new HakoError(`layer entry ${quoteName(name)}: hard link to itself`);
        this.forget(rel);
        this.w.op(rec('link', rel, target), name);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        body.resume();
        if (h.type !== 'fifo' && this.opts.devices === 'skip') return;
        this.forget(rel);
        const kind = h.type === 'fifo' ? 'fifo' : h.type === 'character-device' ? 'char' : 'block';
        this.w.op(rec('node', rel, kind, String(e.mode), String(h.devmajor ?? 0), String(h.devminor ?? 0), own(e.uid), own(e.gid), t, t), name);
        return;
      }
      default:
        body.resume();
        throw new HakoError(`layer entry ${quoteName(name)}: unsupported entry type ${h.type}`);
    }
  }

  private queueDirXattr(rel: string, entry: string, name: string, value: Buffer): void {
    const list = this.dirXattrs.get(rel) ?? [];
    list.push({ entry, name, value });
    this.dirXattrs.set(rel, list);
  }

  /** A hard link target: same name rules; the worker resolves it without following symlinks and
   *  refuses a missing target or a directory. */
  private hardlinkTarget(linkname: string, entry: string): string {
    const parts = splitMemberName(linkname, `entry ${quoteName(entry)}: hard link target`);
    if (parts.length === 0) throw new HakoError(`layer entry ${quoteName(entry)}: hard link to the layer root`);
    return parts.join('/');
  }

  private async whiteout(parent: string[], target: string, entry: string, t: string): Promise<void> {
    this.ensureDirs(parent, entry);
    const rel = [...parent, target].join('/');
    if (this.mode === 'flatten') {
      if (this.created.has(rel)) return; // whiteouts hide lower layers only
      this.forget(rel);
      this.w.op(rec('remove', rel), entry);
      return;
    }
    this.forget(rel);
    if ((this.opts.whiteout ?? 'chardev') === 'chardev') {
      this.w.op(rec('node', rel, 'char', '0', '0', '0', '-1', '-1', t, t), entry);
    } else {
      this.w.op(rec('file', rel, '0', '-1', '-1', '0', t, t), entry);
      this.w.op(rec('xattr', rel, this.xattr(OVERLAY_WHITEOUT_XATTR), Buffer.alloc(0)), entry);
      this.xwhiteoutParents.set(parent.join('/'), entry);
    }
    this.created.add(rel);
  }

  private async opaque(dirParts: string[], entry: string): Promise<void> {
    this.ensureDirs(dirParts, entry);
    const rel = dirParts.join('/');
    if (this.mode === 'overlay') {
      this.opaqueDirs.set(rel, entry);
      return;
    }
    await this.clearLower(rel, entry);
  }

  /** Flatten mode opaque dir: removes everything below rel that this layer did not create. Walks
   *  with a list of directories to do, not recursion (a layer's tree can be thousands deep). */
  private async clearLower(top: string, entry: string): Promise<void> {
    const todo = [top];
    while (todo.length) {
      const rel = todo.pop()!;
      for (const answer of await this.w.query(rec('list', rel), entry)) {
        const child = answer[1]!.toString('utf8');
        const crel = rel === '' ? child : `${rel}/${child}`;
        if (!this.created.has(crel)) {
          this.forget(crel);
          this.w.op(rec('remove', crel), entry);
        } else if (answer[2]!.toString() === 'd') {
          todo.push(crel);
        }
      }
    }
  }

  async finish(): Promise<void> {
    const own = (id: number) => String(this.ownership ? id : -1);
    // Directory owners and modes first (before xattrs: chmod would rewrite an ACL's mask).
    for (const [rel, m] of this.dirMeta) this.w.op(rec('dirmeta', rel, own(m.uid), own(m.gid), String(m.mode)), m.entry);
    for (const [rel, list] of this.dirXattrs) for (const x of list) this.w.op(rec('xattr', rel, x.name, x.value), x.entry);
    for (const [rel, entry] of this.opaqueDirs) this.w.op(rec('xattr', rel, this.xattr(OVERLAY_OPAQUE_XATTR), Buffer.from('y')), entry);
    for (const [rel, entry] of this.xwhiteoutParents) {
      if (!this.opaqueDirs.has(rel)) this.w.op(rec('xattr', rel, this.xattr(OVERLAY_OPAQUE_XATTR), Buffer.from('x')), entry);
    }
    const depth = (p: string) => (p === '' ? 0 : p.split('/').length);
    const dirs = [...this.dirMeta.entries()].sort((a, b) => depth(b[0]) - depth(a[0]) || b[0].length - a[0].length);
    for (const [rel, m] of dirs) this.w.op(rec('dirtime', rel, ns(m.mtime), ns(m.mtime)), m.entry);
    await this.w.close();
  }
}

/** Hashes and counts what flows through. */
function tap(onChunk: (b: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      onChunk(chunk);
      cb(null, chunk);
    },
  });
}

/**
 * Unpacks the layer read from `input` into `dest` (which must exist). Returns the diffID (sha256 of
 * the uncompressed tar). Any bad entry aborts with a HakoError naming it; dest is then left partly
 * written, and the caller (who owns dest) removes it.
 */
export async function unpackLayer(input: Readable, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  if (opts.mediaType !== undefined) compressionFromMediaType(opts.mediaType); // rejects non-tar media types

  // Read the first bytes to recognise the compression, then replay them.
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const pending: Buffer[] = [];
  let headLen = 0;
  let compressedSize = 0;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    pending.push(b);
    headLen += b.length;
  }
  const kind = sniffCompression(Buffer.concat(pending));
  async function* replay(): AsyncGenerator<Buffer> {
    for (const b of pending) {
      compressedSize += b.length;
      yield b;
    }
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      compressedSize += b.length;
      yield b;
    }
  }

  const hash = createHash('sha256');
  let size = 0;
  const extract = tar.extract();
  const pax = new PaxScanner();
  // The worker opens dest (O_DIRECTORY|O_NOFOLLOW) and does all the writing.
  const worker = opts.worker ?? new LayerWorker(dest);
  const unpacker = new Unpacker(worker, opts);
  const flowing = pipeline(
    Readable.from(replay()),
    await decompressor(kind),
    tap((b) => {
      hash.update(b);
      size += b.length;
    }),
    pax,
    extract,
  );
  let flowError: unknown;
  flowing.catch((e) => {
    flowError = e;
  });
  try {
    try {
      for await (const entry of extract) {
        try {
          const byteOffset = (entry.header as { byteOffset?: number }).byteOffset;
          await unpacker.entry(entry.header, entry as unknown as EntryBody, pax.rawXattrsAt(byteOffset));
        } catch (e) {
          entry.resume();
          if (e instanceof HakoError) throw e;
          throw new HakoError(describeSystemError(`layer entry ${quoteName(entry.header.name)}`, e));
        }
      }
      await flowing;
    } catch (e) {
      extract.destroy();
      await flowing.catch(() => undefined);
      const err = flowError && !(e instanceof HakoError) ? flowError : e;
      if (err instanceof HakoError) throw err;
      throw new HakoError(`layer: ${kind === 'none' ? 'tar' : kind} stream: ${(err as Error)?.message ?? String(err)}`);
    }
    await unpacker.finish();
  } catch (e) {
    await worker.abort();
    throw e;
  }
  return { diffID: `sha256:${hash.digest('hex')}`, size, compressedSize };
}
