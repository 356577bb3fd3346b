// Moving images in and out without a registry:
//  - load an OCI image layout (a directory, or a tar of one, gzipped or not),
//  - load a `docker save` archive (manifest.json + config + layer tars, compressed or not),
//  - import a plain rootfs tarball as a one-layer image,
//  - save images as an OCI image layout directory (or a tar of it).
// Every blob is copied into the store through putBlob, so it is hashed and verified on the way in;
// a tag is written only after all of an image's blobs are stored.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { Readable, PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { asHakoError, HakoError } from '../util/errors.js';
import { checkImageConfig, checkIndex, checkManifest, parseDocument } from './validate.js';
import type { ContentStore, ImageRecord } from '../storage/store/index.js';
import { parseReference, type ImageReference } from '../oci/image/reference.js';
import { hostPlatform, selectPlatform } from '../oci/image/platform.js';
import {
  MediaType,
  documentMediaType,
  isIndexMediaType,
  type ContainerConfig,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from '../oci/image/types.js';
import { mkdirp } from '../util/mkdirp.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const ANN_REF_NAME = 'org.opencontainers.image.ref.name';
const ANN_IMAGE_NAME = 'io.containerd.image.name';

/** Yields `src` decompressed when it starts with the gzip magic, else unchanged. */
async function* decompressIfGzip(src: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 2 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value);
  }
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    const gunzip = zlib.createGunzip();
    const feeding = pipeline(Readable.from(rest()), gunzip).catch((e) => gunzip.destroy(e));
    try {
      for await (const c of gunzip) yield c as Buffer;
    } catch (e) {
      throw new HakoError(`${what}: gzip data is corrupt: ${(e as Error).message}`);
    }
    await feeding;
  } else yield* rest();
}

// ---- archive sources: a directory, or a tar extracted into the store's temp area ----

interface Source {
  has(rel: string): boolean;
  read(rel: string): Buffer;
  stream(rel: string): fs.ReadStream;
  path(rel: string): string;
  cleanup(): Promise<void>;
  describe(rel: string): string;
}

function safeRel(name: string, archive: string): string {
  const n = path.posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../') || n === '.') {
    if (n === '.') return '';
    throw new HakoError(`${archive}: entry "${name}" points outside the archive`);
  }
  return n;
}

function dirSource(dir: string): Source {
  // Names come from the archive's own JSON (a docker save manifest's "Config": "../../etc/shadow"):
  // they must stay inside the directory, as they do in a tar (safeRel). Symlinks inside it are
  // still followed: the directory is the user's own, on their own machine.
  const p = (rel: string) => path.join(dir, safeRel(rel, dir));
  return {
    has: (rel) => fs.existsSync(p(rel)),
    read: (rel) => fs.readFileSync(p(rel)),
    stream: (rel) => fs.createReadStream(p(rel)),
    path: p,
    cleanup: async () => {},
    describe: (rel) => p(rel),
  };
}

/** Extracts the regular files of a tar into a temp dir of the store. Symlinks and hard links become
 *  aliases resolved inside the archive (docker save links repeated layers), so nothing can point out. */
async function tarSource(file: string, store: ContentStore): Promise<Source> {
  const dir = store.tempPath('load');
  await fsp.mkdir(dir, { mode: 0o700 });
  const aliases = new Map<string, string>();
  try {
    const ex = tar.extract();
    const feeding = pipeline(Readable.from(decompressIfGzip(fs.createReadStream(file), file)), ex).catch((e) => ex.destroy(e));
    for await (const entry of ex) {
      const h = entry.header;
      const rel = safeRel(h.name, file);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        if (!rel) throw new HakoError(`${file}: file entry with an empty name`);
        // A failed write (a full disk) is said as such, not as an unreadable archive.
        const writing = (e: unknown) => asHakoError(`${file}: extracting into ${dir}`, e);
        await fsp.mkdir(path.join(dir, path.dirname(rel)), { recursive: true }).catch((e) => {
          throw writing(e);
        });
        const out = fs.createWriteStream(path.join(dir, rel), { mode: 0o600 });
        let writeError: unknown;
        out.once('error', (e) => {
          writeError = e;
        });
        await pipeline(entry, out).catch((e) => {
          throw writeError ? writing(writeError) : e;
        });
      } else {
        if (h.type === 'symlink' && h.linkname) {
          const target = h.linkname.startsWith('/') ? h.linkname : path.posix.join(path.posix.dirname(rel), h.linkname);
          aliases.set(rel, safeRel(target, file));
        } else if (h.type === 'link' && h.linkname) aliases.set(rel, safeRel(h.linkname, file));
        entry.resume();
        await new Promise<void>((r) => entry.on('end', () => r()));
      }
    }
    await feeding;
  } catch (e) {
    await fsp.rm(dir, { recursive: true, force: true });
    if (e instanceof HakoError) throw e;
    throw new HakoError(`${file}: cannot read tar archive: ${(e as Error).message}`);
  }
  const resolve = (rel: string): string => {
    let r = safeRel(rel, file);
    for (let i = 0; i < 16 && aliases.has(r); i++) r = aliases.get(r)!;
    return path.join(dir, r);
  };
  return {
    has: (rel) => fs.existsSync(resolve(rel)),
    read: (rel) => fs.readFileSync(resolve(rel)),
    stream: (rel) => fs.createReadStream(resolve(rel)),
    path: resolve,
    cleanup: () => fsp.rm(dir, { recursive: true, force: true }),
    describe: (rel) => `${file}:${rel}`,
  };
}

function readJSONFrom<T>(src: Source, rel: string): T {
  if (!src.has(rel)) throw new HakoError(`${src.describe(rel)}: missing`);
  try {
    return JSON.parse(src.read(rel).toString('utf8')) as T;
  } catch (e) {
    throw new HakoError(`${src.describe(rel)}: invalid JSON (${(e as Error).message})`);
  }
}

// ---- OCI image layout ----

function blobRel(digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new HakoError(`unsupported or invalid digest "${digest}"`);
  return `blobs/sha256/${digest.slice(7)}`;
}

/** Copies blob `d` and, for manifests and indexes, everything it references into the store.
 *  Index entries whose manifests are absent (other platforms) are skipped. */
async function importTree(store: ContentStore, src: Source, d: Descriptor, required = true, isConfig = false): Promise<boolean> {
  const rel = blobRel(d.digest);
  if (!src.has(rel)) {
    if (required) throw new HakoError(`${src.describe(rel)}: blob missing from the layout`);
    return false;
  }
  const mt = d.mediaType;
  // The documents are checked before anything is stored: a broken one fails as one line naming
  // its field, and leaves nothing (image/validate.ts).
  if (isIndexMediaType(mt) || mt === MediaType.OCI_MANIFEST || mt === MediaType.DOCKER_MANIFEST) {
    const doc = parseDocument(src.describe(rel), src.read(rel).toString('utf8')) as ImageIndex & ImageManifest;
    if (isIndexMediaType(documentMediaType(checkIndexOrManifest(src.describe(rel), doc)))) {
      let any = false;
      for (const m of doc.manifests) any = (await importTree(store, src, m, false)) || any;
      if (!any) throw new HakoError(`${src.describe(rel)}: none of the index's manifests is in the layout`);
    } else {
      await importTree(store, src, doc.config, true, true);
      for (const b of doc.layers) await importTree(store, src, b);
    }
  } else if (isConfig) {
    checkImageConfig(src.describe(rel), parseDocument(src.describe(rel), src.read(rel).toString('utf8')));
  }
  if (!store.hasBlob(d.digest)) await store.putBlob(src.stream(rel), d.digest, { expectedSize: d.size });
  return true;
}

/** The manifest to tag for `top` among the ones present in the store (index: host platform). */
function platformManifest(store: ContentStore, top: Descriptor): string | undefined {
  if (!isIndexMediaType(top.mediaType)) return undefined;
  const idx = store.readJSON<ImageIndex>(top.digest);
  return selectPlatform(
    idx.manifests.filter((m) => store.hasBlob(m.digest)),
    hostPlatform(),
    top.digest,
  ).digest;
}

function nameFor(d: Descriptor, i: number, what: string, override?: ImageReference): ImageReference {
  if (override) return override;
  const full = d.annotations?.[ANN_IMAGE_NAME];
  if (full) return parseReference(full);
  const refName = d.annotations?.[ANN_REF_NAME];
  if (refName && /[/:]/.test(refName)) return parseReference(refName);
  throw new HakoError(`${what}: manifests[${i}] has no image name${refName ? ` (only the tag "${refName}")` : ''}: give a reference to load it as`);
}

async function loadLayout(store: ContentStore, src: Source, what: string, reference?: string): Promise<ImageRecord[]> {
  const layout = readJSONFrom<{ imageLayoutVersion?: string } | null>(src, 'oci-layout');
  if (typeof layout?.imageLayoutVersion !== 'string') throw new HakoError(`${src.describe('oci-layout')}: missing imageLayoutVersion`);
  const index = checkIndex(src.describe('index.json'), readJSONFrom<unknown>(src, 'index.json'));
  if (index.manifests.length === 0) throw new HakoError(`${src.describe('index.json')}: no manifests`);
  const override = reference ? parseReference(reference) : undefined;
  if (override && index.manifests.length > 1) throw new HakoError(`${what}: holds ${index.manifests.length} images; a reference can name only one`);
  const named = index.manifests.map((d, i) => ({ d, name: nameFor(d, i, what, override) }));
  for (const { d } of named) await importTree(store, src, d);
  // Tags last: nothing is visible until every image's blobs are stored and verified.
  return named.map(({ d, name }) => store.tag(name, d.digest, { manifest: platformManifest(store, d) }));
}

// ---- docker save ----

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** sha256 of the uncompressed content of a (possibly gzipped) file, and whether it was gzipped. */
async function diffIdOf(file: string): Promise<{ diffId: string; gzip: boolean }> {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(2);
  fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  const hash = crypto.createHash('sha256');
  for await (const c of decompressIfGzip(fs.createReadStream(file), file)) hash.update(c);
  return { diffId: `sha256:${hash.digest('hex')}`, gzip };
}

async function loadDockerSave(store: ContentStore, src: Source, what: string, reference?: string): Promise<ImageRecord[]> {
  const entries = readJSONFrom<DockerSaveEntry[]>(src, 'manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new HakoError(`${src.describe('manifest.json')}: no images`);
  entries.forEach((e, i) => {
    if (e === null || typeof e !== 'object') throw new HakoError(`${src.describe('manifest.json')}: [${i}] must be an object`);
    if (e.RepoTags != null && (!Array.isArray(e.RepoTags) || e.RepoTags.some((t) => typeof t !== 'string'))) {
      throw new HakoError(`${src.describe('manifest.json')}: [${i}].RepoTags must be an array of strings`);
    }
    if (Array.isArray(e.Layers) && e.Layers.some((l) => typeof l !== 'string'))
      throw new HakoError(`${src.describe('manifest.json')}: [${i}].Layers must be an array of strings`);
  });
  const override = reference ? parseReference(reference) : undefined;
  if (override && entries.length > 1) throw new HakoError(`${what}: holds ${entries.length} images; a reference can name only one`);
  const pending: { names: ImageReference[]; digest: string }[] = [];
  for (const [i, e] of entries.entries()) {
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers)) throw new HakoError(`${src.describe('manifest.json')}: [${i}] needs Config and Layers`);
    const names = override ? [override] : (e.RepoTags ?? []).map((t) => parseReference(t));
    if (names.length === 0) throw new HakoError(`${what}: image ${i} (${e.Config}) has no RepoTags: give a reference to load it as`);
    const configBuf = src.read(e.Config);
    const config = checkImageConfig(src.describe(e.Config), parseDocument(src.describe(e.Config), configBuf.toString('utf8')));
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== e.Layers.length)
      throw new HakoError(`${src.describe(e.Config)}: rootfs.diff_ids has ${diffIds.length} entries for ${e.Layers.length} layers`);
    const layers: Descriptor[] = [];
    for (const [j, l] of e.Layers.entries()) {
      if (!src.has(l)) throw new HakoError(`${src.describe(l)}: layer missing`);
      const { diffId, gzip } = await diffIdOf(src.path(l));
      if (diffId !== diffIds[j])
        throw new HakoError(`${src.describe(l)}: content hashes to ${diffId}, but the config says rootfs.diff_ids[${j}] = ${diffIds[j]}`);
      const blob = await store.putBlob(src.stream(l));
      layers.push({ mediaType: gzip ? MediaType.OCI_LAYER_GZIP : MediaType.OCI_LAYER, digest: blob.digest, size: blob.size });
    }
    const cfg = await store.putBlob(configBuf);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, digest: cfg.digest, size: cfg.size },
      layers,
    };
    const m = await store.putBlob(JSON.stringify(manifest));
    pending.push({ names, digest: m.digest });
  }
  const out: ImageRecord[] = [];
  for (const p of pending) for (const n of p.names) out.push(store.tag(n, p.digest));
  return out;
}

/** Loads images from an OCI layout (directory or tar) or a `docker save` tar. `reference` names the
 *  image when the archive holds exactly one (and overrides names inside it). */
export async function loadImage(store: ContentStore, input: string, opts: { reference?: string } = {}): Promise<ImageRecord[]> {
  let st: fs.Stats;
  try {
    st = fs.statSync(input);
  } catch (e) {
    throw new HakoError(`${input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  const src = st.isDirectory() ? dirSource(input) : await tarSource(input, store);
  try {
    if (src.has('index.json') && src.has('oci-layout')) return await loadLayout(store, src, input, opts.reference);
    if (src.has('manifest.json')) return await loadDockerSave(store, src, input, opts.reference);
    throw new HakoError(`${input}: neither an OCI image layout (oci-layout + index.json) nor a docker save archive (manifest.json)`);
  } finally {
    await src.cleanup();
  }
}

// ---- import a rootfs tarball ----

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Imports a rootfs tar (plain or gzipped; a path or a stream) as a one-layer image tagged `reference`.
 *  The layer is stored gzipped; the config gets rootfs.diff_ids from the uncompressed stream. */
export async function importRootfs(
  store: ContentStore,
  input: string | Readable,
  reference: string,
  opts: { config?: ContainerConfig; comment?: string } = {},
): Promise<ImageRecord> {
  const ref = parseReference(reference);
  const what = typeof input === 'string' ? input : 'standard input';
  let source: Readable;
  if (typeof input === 'string') {
    if (!fs.existsSync(input)) throw new HakoError(`${input}: no such file`);
    source = fs.createReadStream(input);
  } else source = input;
  const diff = crypto.createHash('sha256');
  let seen = 0;
  const head: Buffer[] = [];
  const gzip = zlib.createGzip();
  const tee = new PassThrough();
  const feeding = (async () => {
    for await (const c of decompressIfGzip(source, what)) {
      if (seen < 512) head.push(c);
      seen += c.length;
      diff.update(c);
      if (!tee.write(c)) await new Promise((r) => tee.once('drain', r));
    }
    tee.end();
  })().catch((e) => tee.destroy(e));
  tee.pipe(gzip);
  tee.on('error', (e) => gzip.destroy(e));
  let layer: Awaited<ReturnType<typeof store.putBlob>>;
  try {
    layer = await store.putBlob(gzip);
    await feeding;
  } catch (e) {
    throw e instanceof HakoError ? e : asHakoError(what, e) instanceof HakoError ? asHakoError(what, e) : new HakoError(`${what}: ${(e as Error).message}`);
  }
  const first = Buffer.concat(head);
  if (first.length < 512 || !first.subarray(257, 262).equals(Buffer.from('ustar'))) {
    // Leave nothing behind: drop the layer blob we just stored unless an image already uses it.
    if (!store.referencedBlobs().has(layer.digest)) fs.rmSync(store.blobPath(layer.digest), { force: true });
    throw new HakoError(`${what}: not a tar archive${seen === 0 ? ' (empty input)' : ''}`);
  }
  const created = new Date().toISOString();
  const platform = hostPlatform();
  const config: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: 'linux',
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [DEFAULT_PATH], ...(opts.config ?? {}) },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diff.digest('hex')}`] },
    history: [{ created, created_by: 'hako import', ...(opts.comment ? { comment: opts.comment } : {}) }],
  };
  const cfg = await store.putBlob(JSON.stringify(config));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: MediaType.OCI_LAYER_GZIP, digest: layer.digest, size: layer.size }],
  };
  const m = await store.putBlob(JSON.stringify(manifest));
  return store.tag(ref, m.digest);
}

/** An index or a manifest, by its media type or shape, checked as what it is. */
function checkIndexOrManifest(doc: string, v: ImageIndex & ImageManifest): ImageIndex | ImageManifest {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HakoError(`${doc}: must be a JSON object`);
  return isIndexMediaType(documentMediaType(v)) ? checkIndex(doc, v) : checkManifest(doc, v);
}

// ---- save ----

/** Every blob `digest` reaches in the store (index children only when stored). */
function reachable(store: ContentStore, digest: string, out: Map<string, true>): void {
  if (out.has(digest) || !store.hasBlob(digest)) return;
  out.set(digest, true);
  const doc = store.readJSON<ImageIndex & ImageManifest>(digest);
  if (isIndexMediaType(documentMediaType(doc))) for (const m of doc.manifests ?? []) reachable(store, m.digest, out);
  else {
    out.set(doc.config.digest, true);
    for (const l of doc.layers) out.set(l.digest, true);
  }
}

/** Writes images (references or IDs) as an OCI image layout into `dir` (created; must be empty).
 *  index.json names each image with both the full reference and its tag. */
export async function saveOCILayout(store: ContentStore, refs: string[], dir: string): Promise<void> {
  const records = refs.map((r) => {
    const rec = store.resolve(r);
    if (!rec) throw new HakoError(`image "${r}" not found`);
    return rec;
  });
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new HakoError(`${dir}: exists and is not empty`);
  const blobs = new Map<string, true>();
  for (const rec of records) reachable(store, rec.digest, blobs);
  try {
    mkdirp(path.join(dir, 'blobs', 'sha256'));
  } catch (e) {
    throw asHakoError(`save: cannot make ${dir}`, e);
  }
  for (const d of blobs.keys()) await fsp.copyFile(store.blobPath(d), path.join(dir, blobRel(d)));
  const manifests: Descriptor[] = records.map((rec) => {
    const ref = parseReference(rec.reference);
    const annotations: Record<string, string> = { [ANN_IMAGE_NAME]: rec.reference };
    if (ref.tag) annotations[ANN_REF_NAME] = ref.tag;
    return { mediaType: rec.mediaType, digest: rec.digest, size: store.blobSize(rec.digest)!, annotations };
  });
  await fsp.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fsp.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests }, null, 2));
}

/** Writes the images' archive to `file`: docker's save archive (the layout plus manifest.json, what
 *  docker 25's `save` writes), or with `docker: false` the bare layout (podman's oci-archive). It is
 *  written beside `file` and renamed over it at the end, as docker's CLI does, so a failure leaves
 *  no half archive and no older file half overwritten. */
export async function saveOCIArchive(store: ContentStore, refs: string[], file: string, opts: { docker?: boolean } = {}): Promise<void> {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch {
    /* a new file */
  }
  if (st?.isDirectory()) throw new HakoError(`failed to save image: "${file}" is a directory (an OCI layout directory is --format oci-dir)`);
  if (st && !st.isFile()) throw new HakoError(`failed to save image: invalid output path: "${file}" must be a directory or a regular file`);
  const parent = path.dirname(path.resolve(file));
  if (!fs.existsSync(parent)) throw new HakoError(`failed to save image: invalid output path: directory "${parent}" does not exist`);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.hako-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  try {
    await saveArchiveStream(store, refs, fs.createWriteStream(tmp, { mode: 0o644, flags: 'wx' }), opts);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw asHakoError(`failed to save image to ${file}`, e);
  }
}

/** docker's manifest.json beside the layout (as docker 25's `save` writes both): older docker
 *  loaders and the Engine API's clients read it; the blobs are the layout's. */
function dockerManifest(store: ContentStore, refs: string[]): Buffer {
  const entries = refs.map((r) => {
    const rec = store.resolve(r)!;
    const m = store.readJSON<ImageManifest>(rec.manifest);
    let tags: string[] = [];
    try {
      const ref = parseReference(rec.reference);
      if (ref.tag) tags = [ref.familiar()];
    } catch {
      /* untagged */
    }
    return { Config: blobRel(m.config.digest), RepoTags: tags, Layers: m.layers.map((l) => blobRel(l.digest)) };
  });
  return Buffer.from(JSON.stringify(entries));
}

/** Writes a tar of the images' OCI layout (plus docker's manifest.json unless `docker: false`) to
 *  `out`, which it ends.
 *  The layout is made in the store's temp space first, so a missing image fails before a byte. */
export async function saveArchiveStream(store: ContentStore, refs: string[], out: NodeJS.WritableStream, opts: { docker?: boolean } = {}): Promise<void> {
  const dir = store.tempPath('save');
  const docker = opts.docker !== false;
  try {
    await saveOCILayout(store, refs, dir);
    if (docker) await fsp.writeFile(path.join(dir, 'manifest.json'), dockerManifest(store, refs));
    const pack = tar.pack();
    const writing = pipeline(pack, out);
    const add = async (rel: string) => {
      const p = path.join(dir, rel);
      const st = await fsp.stat(p);
      if (st.isDirectory()) {
        pack.entry({ name: `${rel}/`, type: 'directory', mode: 0o755, mtime: new Date(0) });
        for (const n of (await fsp.readdir(p)).sort()) await add(path.posix.join(rel, n));
      } else {
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ name: rel, size: st.size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
          fs.createReadStream(p).on('error', reject).pipe(w);
        });
      }
    };
    for (const top of ['oci-layout', 'index.json', ...(docker ? ['manifest.json'] : []), 'blobs']) await add(top);
    pack.finalize();
    await writing;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Loads images from an archive read from `input` (a request body): kept in the store's temp space
 *  while it is read (an archive is read twice: the index first, then the blobs it names). */
export async function loadImageStream(store: ContentStore, input: NodeJS.ReadableStream, opts: { reference?: string } = {}): Promise<ImageRecord[]> {
  const file = store.tempPath('load');
  try {
    await pipeline(input, fs.createWriteStream(file, { mode: 0o600 }));
    return await loadImage(store, file, opts);
  } catch (e) {
    // The temp file's path means nothing to the sender: its errors name "the archive".
    if (e instanceof HakoError) throw new HakoError(e.message.replaceAll(file, 'archive'));
    throw e;
  } finally {
    await fsp.rm(file, { force: true });
  }
}
