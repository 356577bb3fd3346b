// Layer compression: the media type says what to expect; without one the first bytes decide
// (gzip 1f 8b, zstd 28 b5 2f fd, anything else is a plain tar). gzip uses node:zlib. Node 20 has no
// zstd, so zstd uses `fzstd` (pure JavaScript, no dependencies, streaming decoder by the author of
// fflate), loaded on demand: if it is not installed, zstd layers fail with one clear line.

import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { HakoError } from '../../util/errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Compression named by an OCI/Docker layer media type, or undefined when it names none we know. */
export function compressionFromMediaType(mediaType: string): Compression {
  const mt = mediaType.trim();
  if (
    /\.tar\+gzip$/.test(mt) ||
    /\.tar\.gzip$/.test(mt) ||
    mt === 'application/vnd.docker.image.rootfs.diff.tar.gzip' ||
    mt === 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'
  )
    return 'gzip';
  if (/\.tar\+zstd$/.test(mt)) return 'zstd';
  if (/\.tar$/.test(mt)) return 'none';
  throw new HakoError(`layer media type ${JSON.stringify(mediaType)}: unsupported (expected a tar, tar+gzip or tar+zstd layer)`);
}

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

interface FzstdModule {
  Decompress: new (ondata?: (chunk: Uint8Array, final: boolean) => void) => { push(chunk: Uint8Array, final?: boolean): unknown };
}

async function loadFzstd(): Promise<FzstdModule> {
  const name = 'fzstd'; // a variable, so the build does not require the package to be present
  try {
    return (await import(name)) as FzstdModule;
  } catch {
    throw new HakoError('zstd layers not supported: the optional npm package "fzstd" is not installed');
  }
}

/** A Transform that decompresses zstd with fzstd. */
async function zstdStream(): Promise<Transform> {
  const fz = await loadFzstd();
  let out: Transform;
  const dec = new fz.Decompress((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  out = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        dec.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        cb();
      } catch (e) {
        cb(new HakoError(`zstd layer: ${(e as Error).message}`));
      }
    },
    flush(cb: TransformCallback) {
      try {
        dec.push(new Uint8Array(0), true);
        cb();
      } catch (e) {
        cb(new HakoError(`zstd layer: ${(e as Error).message}`));
      }
    },
  });
  return out;
}

/** A stream turning the compressed layer into the tar; identity for 'none'. */
export async function decompressor(kind: Compression): Promise<Transform> {
  if (kind === 'gzip') return createGunzip();
  if (kind === 'zstd') return zstdStream();
  return new Transform({
    transform(chunk, _e, cb) {
      cb(null, chunk);
    },
  });
}
