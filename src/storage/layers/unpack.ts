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
// Safety (the tar is untrusted): names are split by paths.ts (absolute and ".." rejected); every
// parent component is lstat'ed and must be a real directory: a symlink created by this layer as a
// parent is an error, so nothing is ever written through a link. Files are created with O_EXCL
// after removing what was there, so an existing hard link or symlink is never written through.
// Hard link targets go through the same checks and must already exist inside dest.
//
// Order of metadata (why): lchown before chmod (chown clears setuid/setgid); xattrs after chown
// (chown clears security.capability); directory modes and mtimes last, deepest first, because
// creating children changes a directory's mtime and a 0555 directory would block them.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { IdMapping } from '../../runtime/spec/types.js';
import { describeSystemError, HakoError } from '../../util/errors.js';
import { compressionFromMediaType, decompressor, sniffCompression } from './compression.js';
import { installRawPax, rawXattrs } from './pax-raw.js';
import { splitMemberName } from './paths.js';
import { helperSys, type LayerSys, type SysOp } from './sys.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_XATTR } from './names.js';

/** Container ids -> host ids, for layers unpacked for a user-namespaced container. */
export interface IdMap {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
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
  sys?: LayerSys;
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
type EntryBody = AsyncIterable<unknown> & { resume(): unknown };

interface DirMeta { uid: number; gid: number; mode: number; mtime: Date }

function mapId(id: number, maps: IdMapping[] | undefined, kind: string, entry: string): number {
  if (!maps) return id;
  for (const m of maps) {
    if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  }
  throw new HakoError(`layer entry ${JSON.stringify(entry)}: ${kind} ${id} is not mapped`);
}

function isENOENT(e: unknown): boolean { return (e as NodeJS.ErrnoException)?.code === 'ENOENT'; }

async function lstatOrNull(p: string) {
  try { return await fs.lstat(p); } catch (e) { if (isENOENT(e)) return null; throw e; }
}

class Unpacker {
  /** Relative paths this layer created (or merged into): whiteouts and opaque markers spare them. */
  private created = new Set<string>();
  /** Relative paths verified to be real directories (cache; cleared whenever a directory is removed). */
  private knownDirs = new Set<string>(['']);
  private dirMeta = new Map<string, DirMeta>();
  private ops: SysOp[] = [];
  private specialTimes: Array<{ path: string; mtime: Date }> = [];
  private opaqueDirs = new Set<string>();
  private xwhiteoutParents = new Set<string>();
  private readonly mode: 'overlay' | 'flatten';
  private readonly ownership: boolean;

  constructor(private readonly dest: string, private readonly opts: UnpackOptions) {
    this.mode = opts.mode ?? 'overlay';
    this.ownership = opts.preserveOwnership ?? process.getuid?.() === 0;
  }

  private abs(rel: string): string { return rel === '' ? this.dest : join(this.dest, rel); }

  /** Makes every component of `parts` a real directory inside dest (creating missing ones). */
  private async ensureDirs(parts: string[], entry: string): Promise<void> {
    let rel = '';
    for (const c of parts) {
      rel = rel === '' ? c : `${rel}/${c}`;
      if (this.knownDirs.has(rel)) { this.created.add(rel); continue; }
      const p = this.abs(rel);
      const st = await lstatOrNull(p);
      // An existing directory is merged into: this layer has it too (an opaque marker must spare it).
      if (st && st.isDirectory()) { this.knownDirs.add(rel); this.created.add(rel); continue; }
      if (st) {
        const what = st.isSymbolicLink() ? 'is a symlink' : 'is not a directory';
        if (this.mode === 'overlay' || this.created.has(rel)) {
          throw new HakoError(`layer entry ${JSON.stringify(entry)}: parent ${JSON.stringify(rel)} ${what}`);
        }
        await fs.rm(p, { recursive: true, force: true }); // a lower layer's non-directory: replaced, as overlayfs shows it
      }
      await fs.mkdir(p, 0o755);
      this.created.add(rel);
      this.knownDirs.add(rel);
    }
  }

  /** Clears the place for a new entry; returns true when an existing directory is kept (dir over dir). */
  private async clearTarget(rel: string, newIsDir: boolean): Promise<boolean> {
    const p = this.abs(rel);
    const st = await lstatOrNull(p);
    if (!st) return false;
    if (st.isDirectory()) {
      if (newIsDir) return true;
      this.knownDirs.clear(); this.knownDirs.add('');
    }
    await fs.rm(p, { recursive: true, force: true });
    return false;
  }

  private owner(h: tar.Header, name: string): { uid: number; gid: number } {
    const pax = (h.pax ?? {}) as Record<string, string | undefined>;
    const uid = Number(pax.uid ?? h.uid ?? 0);
    const gid = Number(pax.gid ?? h.gid ?? 0);
    return { uid: mapId(uid, this.opts.idMap?.uidMappings, 'uid', name), gid: mapId(gid, this.opts.idMap?.gidMappings, 'gid', name) };
  }

  async entry(h: tar.Header, body: EntryBody): Promise<void> {
    const name = h.name;
    const parts = splitMemberName(name);
    const rel = parts.join('/');
    const base = parts.length ? parts[parts.length - 1] : '';
    const parent = parts.slice(0, -1);
    const mtime = h.mtime instanceof Date && !isNaN(h.mtime.getTime()) ? h.mtime : new Date(0);
    const mode = (h.mode ?? 0o644) & 0o7777;

    if (base.startsWith(WHITEOUT_PREFIX)) {
      body.resume();
      if (base === OPAQUE_MARKER) return this.opaque(parent, name);
      if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // AUFS metadata (.wh..wh.plnk etc.): not content
      const target = base.slice(WHITEOUT_PREFIX.length);
      if (target === '' || target === '.' || target === '..') throw new HakoError(`layer entry ${JSON.stringify(name)}: invalid whiteout`);
      return this.whiteout(parent, target, name);
    }

    if (parts.length === 0) {
      body.resume();
      if (h.type !== 'directory') throw new HakoError(`layer entry ${JSON.stringify(name)}: the layer root must be a directory`);
      this.dirMeta.set('', { ...this.owner(h, name), mode, mtime });
      return;
    }

    await this.ensureDirs(parent, name);
    const p = this.abs(rel);
    const { uid, gid } = this.owner(h, name);
    const xattrs = rawXattrs(h.pax as Record<string, unknown> | undefined);

    switch (h.type) {
      case 'directory': {
        body.resume();
        const kept = await this.clearTarget(rel, true);
        if (!kept) await fs.mkdir(p, 0o700);
        this.knownDirs.add(rel);
        this.dirMeta.set(rel, { uid, gid, mode, mtime });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        await this.clearTarget(rel, false);
        // 'wx' = O_CREAT|O_EXCL: never opens an existing file or follows a symlink.
        await pipeline(body, createWriteStream(p, { flags: 'wx', mode: 0o600 }));
        if (this.ownership) await fs.lchown(p, uid, gid);
        await fs.chmod(p, mode);
        await fs.utimes(p, mtime, mtime);
        break;
      }
      case 'symlink': {
        body.resume();
        if (!h.linkname) throw new HakoError(`layer entry ${JSON.stringify(name)}: symlink without target`);
        await this.clearTarget(rel, false);
        await fs.symlink(h.linkname, p);
        if (this.ownership) await fs.lchown(p, uid, gid);
        await fs.lutimes(p, mtime, mtime);
        break;
      }
      case 'link': {
        body.resume();
        const target = await this.hardlinkTarget(h.linkname ?? '', name);
        if (target === rel) throw new HakoError(`layer entry ${JSON.stringify(name)}: hard link to itself`);
        await this.clearTarget(rel, false);
        await fs.link(this.abs(target), p);
        break;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        body.resume();
        await this.clearTarget(rel, false);
        const kind = h.type === 'fifo' ? 'fifo' : h.type === 'character-device' ? 'char' : 'block';
        this.ops.push({ op: 'mknod', path: p, kind, mode, major: h.devmajor ?? 0, minor: h.devminor ?? 0, uid: this.ownership ? uid : -1, gid: this.ownership ? gid : -1 });
        this.specialTimes.push({ path: p, mtime });
        break;
      }
      default:
        body.resume();
        throw new HakoError(`layer entry ${JSON.stringify(name)}: unsupported entry type ${h.type}`);
    }
    this.created.add(rel);
    for (const [k, v] of Object.entries(xattrs)) this.ops.push({ op: 'lsetxattr', path: p, name: k, value: v });
  }

  /** Validates a hard link target: same name rules, real directories as parents, must exist, not a dir. */
  private async hardlinkTarget(linkname: string, entry: string): Promise<string> {
    const parts = splitMemberName(linkname, `entry ${JSON.stringify(entry)}: hard link target`);
    if (parts.length === 0) throw new HakoError(`layer entry ${JSON.stringify(entry)}: hard link to the layer root`);
    let rel = '';
    for (const c of parts.slice(0, -1)) {
      rel = rel === '' ? c : `${rel}/${c}`;
      if (this.knownDirs.has(rel)) continue;
      const st = await lstatOrNull(this.abs(rel));
      if (!st || !st.isDirectory()) {
        throw new HakoError(`layer entry ${JSON.stringify(entry)}: hard link target ${JSON.stringify(linkname)}: ${JSON.stringify(rel)} is not a directory inside the layer`);
      }
      this.knownDirs.add(rel);
    }
    const target = parts.join('/');
    const st = await lstatOrNull(this.abs(target));
    if (!st) throw new HakoError(`layer entry ${JSON.stringify(entry)}: hard link target ${JSON.stringify(linkname)} does not exist in the layer`);
    if (st.isDirectory()) throw new HakoError(`layer entry ${JSON.stringify(entry)}: hard link target ${JSON.stringify(linkname)} is a directory`);
    return target;
  }

  private async whiteout(parent: string[], target: string, entry: string): Promise<void> {
    await this.ensureDirs(parent, entry);
    const rel = [...parent, target].join('/');
    const p = this.abs(rel);
    if (this.mode === 'flatten') {
      if (this.created.has(rel)) return; // whiteouts hide lower layers only
      const st = await lstatOrNull(p);
      if (st) {
        if (st.isDirectory()) { this.knownDirs.clear(); this.knownDirs.add(''); }
        await fs.rm(p, { recursive: true, force: true });
      }
      return;
    }
    await this.clearTarget(rel, false);
    if ((this.opts.whiteout ?? 'chardev') === 'chardev') {
      this.ops.push({ op: 'mknod', path: p, kind: 'char', mode: 0, major: 0, minor: 0, uid: -1, gid: -1 });
    } else {
      await (await fs.open(p, 'wx', 0o000)).close();
      this.ops.push({ op: 'lsetxattr', path: p, name: OVERLAY_WHITEOUT_XATTR, value: Buffer.alloc(0) });
      this.xwhiteoutParents.add(parent.join('/'));
    }
    this.created.add(rel);
  }

  private async opaque(dirParts: string[], entry: string): Promise<void> {
    await this.ensureDirs(dirParts, entry);
    const rel = dirParts.join('/');
    if (this.mode === 'overlay') { this.opaqueDirs.add(rel); return; }
    await this.clearLower(rel);
  }

  /** Flatten mode opaque dir: removes everything below rel that this layer did not create. */
  private async clearLower(rel: string): Promise<void> {
    for (const child of await fs.readdir(this.abs(rel))) {
      const crel = rel === '' ? child : `${rel}/${child}`;
      if (!this.created.has(crel)) {
        await fs.rm(this.abs(crel), { recursive: true, force: true });
        this.knownDirs.clear(); this.knownDirs.add('');
      } else if ((await fs.lstat(this.abs(crel))).isDirectory()) {
        await this.clearLower(crel);
      }
    }
  }

  async finish(): Promise<void> {
    const sys = this.opts.sys ?? helperSys;
    // Directory owners and modes first (before xattrs: chmod would rewrite an ACL's mask).
    for (const [rel, m] of this.dirMeta) {
      const p = this.abs(rel);
      if (this.ownership) await fs.lchown(p, m.uid, m.gid);
      await fs.chmod(p, m.mode);
    }
    for (const rel of this.opaqueDirs) this.ops.push({ op: 'lsetxattr', path: this.abs(rel), name: OVERLAY_OPAQUE_XATTR, value: Buffer.from('y') });
    for (const rel of this.xwhiteoutParents) {
      if (!this.opaqueDirs.has(rel)) this.ops.push({ op: 'lsetxattr', path: this.abs(rel), name: OVERLAY_OPAQUE_XATTR, value: Buffer.from('x') });
    }
    await sys.run(this.ops);
    for (const s of this.specialTimes) await fs.lutimes(s.path, s.mtime, s.mtime);
    const dirs = [...this.dirMeta.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length || (b[0].length - a[0].length));
    for (const [rel, m] of dirs) await fs.utimes(this.abs(rel), m.mtime, m.mtime);
  }
}

/** Hashes and counts what flows through. */
function tap(onChunk: (b: Buffer) => void): Transform {
  return new Transform({ transform(chunk: Buffer, _e, cb: TransformCallback) { onChunk(chunk); cb(null, chunk); } });
}

/**
 * Unpacks the layer read from `input` into `dest` (which must exist). Returns the diffID (sha256 of
 * the uncompressed tar). Any bad entry aborts with a HakoError naming it; dest is then left partly
 * written, and the caller (who owns dest) removes it.
 */
export async function unpackLayer(input: Readable, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  if (opts.mediaType !== undefined) compressionFromMediaType(opts.mediaType); // rejects non-tar media types
  installRawPax();
  const st = await lstatOrNull(dest);
  if (!st || !st.isDirectory()) throw new HakoError(`layer destination ${dest}: not a directory`);

  // Read the first bytes to recognise the compression, then replay them.
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const pending: Buffer[] = [];
  let headLen = 0;
  let compressedSize = 0;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    pending.push(b); headLen += b.length;
  }
  const kind = sniffCompression(Buffer.concat(pending));
  async function* replay(): AsyncGenerator<Buffer> {
    for (const b of pending) { compressedSize += b.length; yield b; }
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
  const unpacker = new Unpacker(dest, opts);
  const flowing = pipeline(Readable.from(replay()), await decompressor(kind), tap((b) => { hash.update(b); size += b.length; }), extract);
  let flowError: unknown;
  flowing.catch((e) => { flowError = e; });
  try {
    for await (const entry of extract) {
      try {
        await unpacker.entry(entry.header, entry);
      } catch (e) {
        entry.resume();
        if (e instanceof HakoError) throw e;
        throw new HakoError(describeSystemError(`layer entry ${JSON.stringify(entry.header.name)}`, e));
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
  try {
    await unpacker.finish();
  } catch (e) {
    if (e instanceof HakoError) throw e;
    throw new HakoError(describeSystemError('layer metadata', e));
  }
  return { diffID: `sha256:${hash.digest('hex')}`, size, compressedSize };
}
