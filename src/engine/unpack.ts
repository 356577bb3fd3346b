// The engine's first layer unpacker (tar straight into a rootfs directory, whiteouts applied),
// kept for the library API (src/engine/index.ts). Containers use src/storage/layers instead. Apart
// from rootfs.ts because it loads tar-stream, zlib and streams, which a container start never needs.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import { HakoError } from '../util/errors.js';
import { cleanEntryName, resolveInRoot } from './rootfs.js';

export async function unpackLayer(stream: Readable, root: string): Promise<void> {
  const extract = tar.extract();
  const dirTimes: [string, Date][] = [];
  const hardlinks: [string, string][] = [];
  extract.on('entry', (header, body, next) => {
    const done = (err?: unknown) => {
      if (err) { body.resume(); next(err as Error); return; }
      next();
    };
    try {
      const rel = cleanEntryName(header.name);
      if (!rel) { body.resume(); body.on('end', () => next()); return; }
      const parentRel = path.dirname(rel);
      const base = path.basename(rel);
      const parent = parentRel === '.' ? root : resolveInRoot(root, parentRel, true);
      fs.mkdirSync(parent, { recursive: true });
      // Whiteouts (OCI image-spec layer.md): .wh..wh..opq empties the directory, .wh.NAME deletes NAME.
      if (base === '.wh..wh..opq') {
        for (const n of fs.readdirSync(parent)) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
        body.resume(); body.on('end', () => next()); return;
      }
      if (base.startsWith('.wh.')) {
        fs.rmSync(path.join(parent, base.slice(4)), { recursive: true, force: true });
        body.resume(); body.on('end', () => next()); return;
      }
      const dest = path.join(parent, base);
      const mode = (header.mode ?? 0o644) & 0o7777;
      const uid = header.uid ?? 0;
      const gid = header.gid ?? 0;
      const existing = lstatOrUndefined(dest);
      if (existing && !(existing.isDirectory() && header.type === 'directory')) fs.rmSync(dest, { recursive: true, force: true });
      switch (header.type) {
        case 'directory':
          if (!existing?.isDirectory()) fs.mkdirSync(dest, { mode });
          fs.chmodSync(dest, mode);
          fs.lchownSync(dest, uid, gid);
          if (header.mtime) dirTimes.push([dest, header.mtime]);
          body.resume(); body.on('end', () => next());
          return;
        case 'symlink':
          fs.symlinkSync(header.linkname ?? '', dest);
          fs.lchownSync(dest, uid, gid);
          body.resume(); body.on('end', () => next());
          return;
        case 'link': {
          const target = cleanEntryName(header.linkname ?? '');
          hardlinks.push([dest, target]);
          body.resume(); body.on('end', () => next());
          return;
        }
        case 'file': case 'contiguous-file': {
          const out = fs.createWriteStream(dest, { mode });
          pipeline(body, out).then(() => {
            fs.chmodSync(dest, mode); // the umask applied at create
            fs.lchownSync(dest, uid, gid);
            if (header.mtime) fs.utimesSync(dest, header.mtime, header.mtime);
            done();
          }, done);
          return;
        }
        default:
          // Device nodes and FIFOs need mknod, which Node lacks; images rarely ship them (the
          // runtime creates /dev), so they are skipped.
          body.resume(); body.on('end', () => next());
          return;
      }
    } catch (e) {
      done(e);
    }
  });
  await pipeline(Readable.from(decompressed(stream)), extract as unknown as Writable);
  for (const [dest, target] of hardlinks) {
    const src = resolveInRoot(root, target);
    if (!src.startsWith(root + path.sep)) throw new HakoError(`hard link ${dest} points outside the root`);
    fs.rmSync(dest, { force: true });
    fs.linkSync(src, dest);
  }
  for (const [d, t] of dirTimes.reverse()) try { fs.utimesSync(d, t, t); } catch { /* removed by a later entry */ }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try { return fs.lstatSync(p); } catch { return undefined; }
}

/** Gunzips when the stream starts with gzip's magic; zstd layers are refused clearly. */
async function* decompressed(src: Readable): AsyncIterable<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value as Buffer;
  const rest = Readable.from((async function* () { yield head; for (;;) { const n = await it.next(); if (n.done) return; yield n.value as Buffer; } })());
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) throw new HakoError('zstd-compressed layers are not supported yet');
  if (head[0] === 0x1f && head[1] === 0x8b) yield* rest.pipe(zlib.createGunzip());
  else yield* rest;
}
