// The content-addressed store: blobs under <root>/blobs/sha256/<hex>, and the image index
// <root>/images.json mapping references to manifest digests.
//
// Blob writes never leave a corrupt or half-visible blob: data goes to a temp file under <root>/tmp
// (same filesystem), is hashed while written, fsync'd, compared with the expected digest, and only then
// renamed into blobs/. A bad digest unlinks the temp file. The index is rewritten whole (temp + fsync +
// rename) under a lock file, so concurrent hako processes see either the old or the new index.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { asHakoError, HakoError } from '../../util/errors.js';
import { withPidLock } from '../../util/pidlock.js';
import { parseReference, isDigest, type ImageReference } from '../../oci/image/reference.js';
import { selectPlatform } from '../../oci/image/platform.js';
import { documentMediaType, isIndexMediaType, type ImageIndex, type ImageManifest } from '../../oci/image/types.js';
import { mkdirp } from '../../util/mkdirp.js';
import { readVersioned, type DocumentFormat } from '../../util/format-version.js';

/** How long gc() (and `builder prune`) spares an unreferenced blob after its last write or use: a
 *  pull or build in another process writes its blobs before the image that names them. */
export const GC_GRACE_MS = 10 * 60_000;

export const DEFAULT_ROOT = '/var/lib/hako';

export interface ImageRecord {
  /** Fully qualified reference this record is stored under, e.g. `docker.io/library/busybox:latest`. */
  reference: string;
  /** Digest of the top-level document (a manifest list/index when the image has one). */
  digest: string;
  mediaType: string;
  /** Digest of the platform manifest that was selected (equal to `digest` without an index). */
  manifest: string;
  /** Digest of the image config: the image ID. */
  config: string;
  /** Sum of config and layer sizes (compressed). */
  size: number;
  /** When this reference was (re)tagged, ISO 8601. */
  tagged: string;
}

/** index.json's format (util/format-version.ts), versioned by its `version` field since the first one.
 *  Raise `current` for a change an older hako would misread. */
export const INDEX_FORMAT: DocumentFormat = { what: 'image index', current: 1, key: 'version' };

interface IndexFile {
  version: number;
  images: Record<string, ImageRecord>;
}

export interface BlobInfo {
  digest: string;
  size: number;
}

export type BlobSource = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

function sha256Hex(digest: string): string {
  if (!isDigest(digest)) throw new HakoError(`invalid digest "${digest}": expected sha256:<64 lowercase hex>`);
  return digest.slice(7);
}

async function* chunks(src: BlobSource): AsyncIterable<Uint8Array> {
  if (typeof src === 'string') yield Buffer.from(src);
  else if (src instanceof Uint8Array) yield src;
  else yield* src as AsyncIterable<Uint8Array>;
}

/**
 * Creates `dir` (and missing parents) as a private directory, and makes an existing one private
 * again: 0700, a real directory (not a symlink), ours. Unpacked layers hold an image's device nodes
 * and setuid files; under a world-readable --root another host user must not reach them.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirp(dir, 0o700);
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new HakoError(`${dir}: not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new HakoError(`${dir}: owned by uid ${st.uid}, not by us (${uid})`);
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

export class ContentStore {
  readonly blobsDir: string;
  /** Unpacked layers (src/engine/rootfs.ts): always 0700. */
  readonly layersDir: string;
  readonly tmpDir: string;
  readonly indexPath: string;
  readonly lockPath: string;

  constructor(readonly root: string = process.env.HAKO_ROOT || DEFAULT_ROOT) {
    this.root = path.resolve(root);
    this.blobsDir = path.join(this.root, 'blobs', 'sha256');
    this.tmpDir = path.join(this.root, 'tmp');
    this.indexPath = path.join(this.root, 'images.json');
    this.lockPath = path.join(this.root, 'images.lock');
    this.layersDir = path.join(this.root, 'layers');
    try {
      mkdirp(this.blobsDir, 0o700);
      for (const d of [path.dirname(this.blobsDir), this.tmpDir, this.layersDir]) ensurePrivateDir(d);
    } catch (e) {
      throw new HakoError(`cannot create image store at ${this.root}: ${(e as Error).message}`);
    }
  }

  // ---- blobs ----

  blobPath(digest: string): string {
    return path.join(this.blobsDir, sha256Hex(digest));
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  /** Size of a stored blob, or undefined when absent. */
  blobSize(digest: string): number | undefined {
    try {
      return fs.statSync(this.blobPath(digest)).size;
    } catch {
      return undefined;
    }
  }

  readBlob(digest: string): Buffer {
    try {
      return fs.readFileSync(this.blobPath(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new HakoError(`blob ${digest} is not in the store ${this.root}`);
      throw e;
    }
  }

  readJSON<T = unknown>(digest: string): T {
    const buf = this.readBlob(digest);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (e) {
      throw new HakoError(`blob ${digest}: not valid JSON (${(e as Error).message})`);
    }
  }

  openBlob(digest: string): fs.ReadStream {
    if (!this.hasBlob(digest)) throw new HakoError(`blob ${digest} is not in the store ${this.root}`);
    return fs.createReadStream(this.blobPath(digest));
  }

  /** Marks a blob as recently used so a concurrent gc() with a grace period keeps it. */
  touchBlob(digest: string): void {
    const now = new Date();
    try {
      fs.utimesSync(this.blobPath(digest), now, now);
    } catch {
      /* missing blob: the caller will find out when it reads it */
    }
  }

  /** Path for the partial download of `digest`; kept across failed transfers so they can resume. */
  partialPath(digest: string): string {
    return path.join(this.tmpDir, `${sha256Hex(digest)}.partial`);
  }

  /** A fresh temp file name inside the store's filesystem (for callers that assemble a file first). */
  tempPath(prefix = 'tmp'): string {
    return path.join(this.tmpDir, `${prefix}-${process.pid}-${nodeCrypto().randomBytes(6).toString('hex')}`);
  }

  /** Stores `data`, verifying it against `expectedDigest` (and `expectedSize`) when given. */
  async putBlob(data: BlobSource, expectedDigest?: string, opts: { expectedSize?: number } = {}): Promise<BlobInfo> {
    if (expectedDigest) sha256Hex(expectedDigest);
    const tmp = this.tempPath('put');
    const disk = this.diskError(expectedDigest);
    const fh = await fsp.open(tmp, 'wx', 0o644).catch(disk);
    const hash = nodeCrypto().createHash('sha256');
    let size = 0;
    try {
      for await (const c of chunks(data)) {
        const buf = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        size += buf.length;
        if (opts.expectedSize !== undefined && size > opts.expectedSize) {
          throw new HakoError(`blob ${expectedDigest ?? '(unnamed)'}: more data than the expected ${opts.expectedSize} bytes`);
        }
        hash.update(buf);
        await fh.write(buf).catch(disk);
      }
      await fh.sync().catch(disk);
    } catch (e) {
      await fh.close().catch(() => {});
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    return this.commit(tmp, `sha256:${hash.digest('hex')}`, size, expectedDigest, opts.expectedSize);
  }

  /** Moves an already written file (inside this store's filesystem, e.g. from tempPath()) into the
   *  store after hashing it; the file is consumed either way. */
  async importFile(file: string, expectedDigest?: string): Promise<BlobInfo> {
    if (expectedDigest) sha256Hex(expectedDigest);
    let digest: string;
    let size: number;
    try {
      ({ digest, size } = await hashFile(file));
      const fh = await fsp.open(file, 'r');
      await fh.sync().finally(() => fh.close());
    } catch (e) {
      await fsp.rm(file, { force: true });
      throw e;
    }
    return this.commit(file, digest, size, expectedDigest);
  }

  /** Downloads a blob with resume: `open(offset)` returns the remaining data and the offset where it
   *  really starts (0 when the source ignored the range). Progress is reported as total bytes held.
   *  A transfer error keeps the partial file for the next attempt; a wrong digest or size removes it. */
  async writeResumable(
    digest: string,
    open: (offset: number) => Promise<{ stream: AsyncIterable<Uint8Array>; offset: number }>,
    opts: { expectedSize?: number; onProgress?: (bytes: number) => void } = {},
  ): Promise<BlobInfo> {
    // Claim the partial file by renaming it to a name of our own: two processes pulling the same blob
    // must never write into one file (one's truncate would punch zeros into the other's data). The
    // loser of the rename simply starts from zero in its own file.
    const partial = this.partialPath(digest);
    const mine = this.tempPath(`${sha256Hex(digest)}.dl`);
    let have = 0;
    try {
      fs.renameSync(partial, mine);
      have = fs.statSync(mine).size;
    } catch {
      /* no partial download to resume */
    }
    if (opts.expectedSize !== undefined && have > opts.expectedSize) have = 0;
    const release = async (keep: boolean) => {
      if (keep) await fsp.rename(mine, partial).catch(() => fsp.rm(mine, { force: true }));
      else await fsp.rm(mine, { force: true });
    };
    let fh: fsp.FileHandle | undefined;
    const hash = nodeCrypto().createHash('sha256');
    let size = 0;
    let bad = false;
    try {
      const { stream, offset } = await open(have);
      if (offset > have) throw new HakoError(`blob ${digest}: source resumed at ${offset}, past the ${have} bytes held`);
      const disk = this.diskError(digest);
      fh = await fsp.open(mine, have > 0 ? 'r+' : 'w+', 0o644).catch(disk);
      size = offset;
      await fh.truncate(offset);
      // Hash the part we already have, then keep appending.
      if (offset > 0) {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let pos = 0; pos < offset; ) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, offset - pos), pos);
          if (bytesRead === 0) throw new HakoError(`blob ${digest}: partial download shrank while reading it`);
          hash.update(buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
      }
      opts.onProgress?.(size);
      for await (const c of stream) {
        const b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        if (opts.expectedSize !== undefined && size + b.length > opts.expectedSize) {
          bad = true; // a too-long stream is as wrong as a bad digest: do not keep it
          throw new HakoError(`blob ${digest}: more data than the expected ${opts.expectedSize} bytes`);
        }
        await fh.write(b, 0, b.length, size).catch(disk);
        hash.update(b);
        size += b.length;
        opts.onProgress?.(size);
      }
      await fh.sync().catch(disk);
      await fh.close();
      fh = undefined;
    } catch (e) {
      await fh?.close().catch(() => {});
      // A transfer error keeps what we have for the next attempt; bad data or nothing is dropped.
      await release(!bad && size > 0);
      throw e;
    }
    return this.commit(mine, `sha256:${hash.digest('hex')}`, size, digest, opts.expectedSize);
  }

  /** For the writes of a blob: a stream's write error names no file, so this says which store ran
   *  out of space (or whatever it was), in one line. Read errors of the source are not ours to name. */
  private diskError(digest: string | undefined): (e: unknown) => never {
    return (e) => {
      throw asHakoError(`storing blob ${digest ? `${digest} ` : ''}in ${this.blobsDir}`, e);
    };
  }

  private async commit(tmp: string, actual: string, size: number, expected?: string, expectedSize?: number): Promise<BlobInfo> {
    if (expected && actual !== expected) {
      await fsp.rm(tmp, { force: true });
      throw new HakoError(`blob ${expected}: digest mismatch, received content hashes to ${actual}`);
    }
    if (expectedSize !== undefined && size !== expectedSize) {
      await fsp.rm(tmp, { force: true });
      throw new HakoError(`blob ${actual}: size mismatch, expected ${expectedSize} bytes, received ${size}`);
    }
    await fsp.rename(tmp, this.blobPath(actual));
    await fsyncDir(this.blobsDir);
    return { digest: actual, size };
  }

  // ---- image index ----

  private readIndex(): IndexFile {
    let text: string;
    try {
      text = fs.readFileSync(this.indexPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: INDEX_FORMAT.current, images: {} };
      throw e;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
      if (!doc || typeof doc !== 'object') throw new Error('not an object');
    } catch (e) {
      throw new HakoError(`${this.indexPath}: corrupt image index (${(e as Error).message})`);
    }
    // The version first: a newer layout must be refused as such, not reported as corrupt.
    const idx = readVersioned<IndexFile>(doc, this.indexPath, INDEX_FORMAT);
    if (!idx.images || typeof idx.images !== 'object') throw new HakoError(`${this.indexPath}: corrupt image index (no "images" object)`);
    return idx;
  }

  private writeIndex(idx: IndexFile): void {
    const tmp = this.tempPath('index');
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      fs.writeSync(fd, JSON.stringify(idx, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.indexPath);
  }

  /** Runs `fn` with the index lock held (cross-process). Keep it short and synchronous. */
  locked<T>(fn: () => T): T {
    return withPidLock(this.lockPath, fn);
  }

  /** Describes `digest` (a manifest or an index) as an image record; the blobs must be stored. For an
   *  index, `manifest` names the platform manifest, else the host platform's entry is chosen. */
  describe(digest: string, manifest?: string): Omit<ImageRecord, 'reference' | 'tagged'> {
    const top = this.readJSON<ImageManifest | ImageIndex>(digest);
    const mediaType = documentMediaType(top as { mediaType?: string });
    let mdigest = digest;
    if (isIndexMediaType(mediaType)) {
      mdigest = manifest ?? selectPlatform((top as ImageIndex).manifests ?? [], undefined, digest).digest;
    }
    const m = mdigest === digest ? (top as ImageManifest) : this.readJSON<ImageManifest>(mdigest);
    if (!m.config || !Array.isArray(m.layers)) throw new HakoError(`manifest ${mdigest}: not an image manifest (no config or layers)`);
    const size = m.config.size + m.layers.reduce((a, l) => a + l.size, 0);
    return { digest, mediaType, manifest: mdigest, config: m.config.digest, size };
  }

  /** Points `ref` at the stored manifest (or index) `digest`. */
  tag(ref: string | ImageReference, digest: string, opts: { manifest?: string } = {}): ImageRecord {
    const r = typeof ref === 'string' ? parseReference(ref) : ref;
    const rec: ImageRecord = { reference: r.toString(), ...this.describe(digest, opts.manifest), tagged: new Date().toISOString() };
    this.locked(() => {
      const idx = this.readIndex();
      idx.images[rec.reference] = rec;
      this.writeIndex(idx);
    });
    return rec;
  }

  /** Finds an image by reference (`busybox`, `x:1`, `name@sha256:...`) or by ID (config digest, or a
   *  prefix of at least 4 hex digits of it or of a manifest digest). Undefined when absent. */
  resolve(ref: string): ImageRecord | undefined {
    const images = this.readIndex().images;
    let parsed: ImageReference | undefined;
    try {
      parsed = parseReference(ref);
    } catch {
      /* not a reference: maybe an ID */
    }
    if (parsed) {
      const hit = images[parsed.toString()];
      if (hit) return hit;
      if (parsed.digest) {
        const d = parsed.digest;
        const same = Object.values(images).find((r) => parseReference(r.reference).name === parsed!.name && (r.digest === d || r.manifest === d));
        if (same) return same;
      }
    }
    const m = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(ref);
    if (!m) return undefined;
    const prefix = `sha256:${m[1]}`;
    const hits = Object.values(images).filter((r) => r.config.startsWith(prefix) || r.manifest.startsWith(prefix) || r.digest.startsWith(prefix));
    const ids = new Set(hits.map((r) => r.config));
    if (ids.size > 1) throw new HakoError(`image ID "${ref}" is ambiguous: matches ${[...ids].map((i) => i.slice(7, 19)).join(', ')}`);
    return hits[0];
  }

  listImages(): ImageRecord[] {
    return Object.values(this.readIndex().images).sort((a, b) => a.reference.localeCompare(b.reference));
  }

  /** Removes a tag (or, given an image ID, every tag of that image). Refuses when `inUse` says a
   *  container uses the image (called with the top-level, manifest and config digests) or when an ID
   *  names several tags, unless `force`. Blobs stay until gc(). Returns the removed references. */
  removeImage(ref: string, opts: { force?: boolean; inUse?: (digest: string) => boolean } = {}): string[] {
    return this.locked(() => {
      const rec = this.resolve(ref);
      if (!rec) throw new HakoError(`image "${ref}" not found`);
      const idx = this.readIndex();
      let byName = false;
      try {
        byName = idx.images[parseReference(ref).toString()] !== undefined;
      } catch {
        /* an ID */
      }
      const victims = byName ? [rec] : Object.values(idx.images).filter((r) => r.config === rec.config);
      if (!opts.force) {
        if (victims.length > 1)
          throw new HakoError(
            `image "${ref}" is referenced by ${victims.length} tags (${victims.map((v) => v.reference).join(', ')}): remove them by name or force`,
          );
        const busy = victims.find((v) => opts.inUse && [v.digest, v.manifest, v.config].some((d) => opts.inUse!(d)));
        if (busy) throw new HakoError(`image "${busy.reference}" is in use by a container: stop and remove it first, or force`);
      }
      for (const v of victims) delete idx.images[v.reference];
      this.writeIndex(idx);
      return victims.map((v) => v.reference);
    });
  }

  /** Digests reachable from the index: top-level documents, platform manifests, configs and layers. */
  referencedBlobs(): Set<string> {
    const live = new Set<string>();
    const visit = (d: string): void => {
      if (live.has(d)) return;
      live.add(d);
      if (!this.hasBlob(d)) return;
      let doc: ImageIndex & ImageManifest;
      try {
        doc = this.readJSON(d);
      } catch {
        return;
      }
      if (isIndexMediaType(documentMediaType(doc))) {
        for (const m of doc.manifests ?? []) visit(m.digest);
      } else {
        if (doc.config) live.add(doc.config.digest);
        for (const l of doc.layers ?? []) live.add(l.digest);
      }
    };
    for (const r of Object.values(this.readIndex().images)) {
      visit(r.digest);
      visit(r.manifest);
    }
    return live;
  }

  /** Deletes blobs no image references, and temp files. Items modified within `gracePeriodMs`
   *  (default 10 min) are kept, because a pull running in another process writes its blobs before it
   *  tags them (pull touches blobs it reuses for the same reason). */
  gc(opts: { gracePeriodMs?: number } = {}): { removed: string[]; bytes: number } {
    const grace = opts.gracePeriodMs ?? GC_GRACE_MS;
    const cutoff = Date.now() - grace;
    return this.locked(() => {
      const live = this.referencedBlobs();
      const removed: string[] = [];
      let bytes = 0;
      for (const name of fs.readdirSync(this.blobsDir)) {
        const d = `sha256:${name}`;
        if (live.has(d)) continue;
        const p = path.join(this.blobsDir, name);
        const st = fs.statSync(p);
        if (grace > 0 && st.mtimeMs > cutoff) continue;
        fs.rmSync(p, { force: true });
        removed.push(d);
        bytes += st.size;
      }
      for (const name of fs.readdirSync(this.tmpDir)) {
        const p = path.join(this.tmpDir, name);
        const st = fs.statSync(p);
        if (grace > 0 && st.mtimeMs > cutoff) continue;
        fs.rmSync(p, { recursive: true, force: true });
      }
      return { removed, bytes };
    });
  }
}

/** sha256 digest and size of a file. */
export async function hashFile(file: string): Promise<BlobInfo> {
  const hash = nodeCrypto().createHash('sha256');
  let size = 0;
  for await (const c of fs.createReadStream(file)) {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${nodeCrypto().createHash('sha256').update(data).digest('hex')}`;
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    await fh.sync().finally(() => fh.close());
  } catch {
    /* some filesystems refuse fsync on directories; the rename is still atomic */
  }
}

/** node:crypto, loaded on first use: Bun's takes ~2 ms of CPU to load, and most commands that open
 *  the store (`hako run` of a present image, `ps`) never hash or name a temporary file. */
function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}
