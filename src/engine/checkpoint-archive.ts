// `checkpoint --export` / `restore --import`: a checkpoint as one tar.gz, as podman's. Entries:
// container.json (the container's record: image and run options), checkpoint/NAME (criu's images,
// plain files), rootfs-diff.tar (the upper directory as a layer, OCI whiteouts). An archive is
// untrusted input: only those names, only regular files, the record parsed and checked, the diff
// unpacked by the layer worker onto the new container's root (never through a path from Node).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { HakoError } from '../util/errors.js';
import { unpackLayer } from '../storage/layers/index.js';
import { writeUpperLayer } from './commit.js';
import { rootfsMountpoint } from './rootfs.js';
import type { Engine } from './engine.js';
import type { ContainerConfig, RunOptions } from './types.js';

const IMAGE_NAME = /^checkpoint\/([A-Za-z0-9][A-Za-z0-9._-]{0,200})$/;
const MAX_RECORD = 1 << 20;

/** Where a container's checkpoint images are. */
export function checkpointDir(e: Engine, id: string): string {
  return path.join(e.store.containerDir(id), 'checkpoint');
}

export async function exportCheckpoint(e: Engine, id: string, upper: string, file: string): Promise<void> {
  const images = checkpointDir(e, id);
  const diff = path.join(e.store.containerDir(id), 'rootfs-diff.tar');
  const tmp = `${path.resolve(file)}.tmp${process.pid}`;
  try {
    await writeUpperLayer(upper, fs.createWriteStream(diff));
    const pack = tar.pack();
    const written = pipeline(pack, zlib.createGzip(), fs.createWriteStream(tmp, { mode: 0o600 }));
    const add = (name: string, data: Buffer) => new Promise<void>((res, rej) => pack.entry({ name, mode: 0o600 }, data, (err) => (err ? rej(err) : res())));
    await add('container.json', Buffer.from(JSON.stringify(e.store.readConfig(id))));
    for (const name of fs.readdirSync(images).sort()) {
      const p = path.join(images, name);
      if (fs.lstatSync(p).isFile()) await add(`checkpoint/${name}`, fs.readFileSync(p));
    }
    await addFile(pack, 'rootfs-diff.tar', diff);
    pack.finalize();
    await written;
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new HakoError(`--export ${file}: ${(err as Error).message}`);
  } finally {
    fs.rmSync(diff, { force: true });
  }
}

function addFile(pack: tar.Pack, name: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, mode: 0o600, size: fs.statSync(file).size }, (err) => (err ? reject(err) : resolve()));
    fs.createReadStream(file).on('error', reject).pipe(entry);
  });
}

/** A new container from an archive: created from the record's image and options (under `name`),
 *  its images in place and the root filesystem's changes applied; returns its record. */
export async function importCheckpoint(e: Engine, file: string, name: string | undefined): Promise<ContainerConfig> {
  const scratch = fs.mkdtempSync(path.join(e.root, '.import-'));
  try {
    const record = await unpackArchive(file, scratch);
    const cfg = await e.create({ ...record.options, name: name ?? record.name, detach: true, rm: false });
    try {
      fs.renameSync(path.join(scratch, 'checkpoint'), checkpointDir(e, cfg.id));
      const diff = path.join(scratch, 'rootfs-diff.tar');
      if (fs.existsSync(diff)) await unpackLayer(fs.createReadStream(diff), rootfsMountpoint(e.store.containerDir(cfg.id)), { mode: 'flatten' });
      return cfg;
    } catch (err) {
      await e.remove(cfg.id, { force: true }).catch(() => {});
      throw new HakoError(`--import ${file}: ${(err as Error).message}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads the archive into `dir` (checkpoint/, rootfs-diff.tar); returns container.json's record. */
async function unpackArchive(file: string, dir: string): Promise<{ name: string; options: RunOptions }> {
  fs.mkdirSync(path.join(dir, 'checkpoint'));
  let record: Buffer | undefined;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const fail = (why: string) => {
      stream.resume();
      extract.destroy(new Error(`${header.name}: ${why}`));
    };
    const image = IMAGE_NAME.exec(header.name);
    if (header.type !== 'file') return fail('not a regular file');
    if (header.name === 'container.json') {
      if ((header.size ?? 0) > MAX_RECORD) return fail('too large');
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        parts.push(c as Buffer);
      });
      stream.on('end', () => {
        record = Buffer.concat(parts);
        next();
      });
      return;
    }
    if (header.name !== 'rootfs-diff.tar' && !image) return fail('not an entry of a checkpoint archive');
    const out = fs.createWriteStream(path.join(dir, image ? `checkpoint/${image[1]}` : 'rootfs-diff.tar'), { flags: 'wx', mode: 0o600 });
    pipeline(stream, out).then(
      () => next(),
      (err: Error) => extract.destroy(err),
    );
  });
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(), extract);
  } catch (err) {
    throw new HakoError(`--import ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return checkRecord(record, file);
}

function checkRecord(record: Buffer | undefined, file: string): { name: string; options: RunOptions } {
  if (!record) throw new HakoError(`--import ${file}: not a checkpoint archive (no container.json)`);
  let doc: Partial<ContainerConfig>;
  try {
    doc = JSON.parse(record.toString('utf8')) as Partial<ContainerConfig>;
  } catch (err) {
    throw new HakoError(`--import ${file}: container.json: ${(err as Error).message}`);
  }
  const opts = doc.options;
  if (!opts || typeof opts !== 'object' || typeof opts.image !== 'string' || typeof doc.name !== 'string') {
    throw new HakoError(`--import ${file}: container.json: not a hako container record (options.image, name)`);
  }
  return { name: doc.name, options: opts };
}
