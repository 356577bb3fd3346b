// Test helpers: building layer tars in memory with tar-stream, temp dirs that are always removed.

import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { rec } from '../../../src/native/ops.js';

export interface TarEntry {
  name: string;
  type?: 'file' | 'link' | 'symlink' | 'directory' | 'block-device' | 'character-device' | 'fifo';
  data?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Raw PAX records written as a separate 'x' header before the entry (values are bytes). */
  paxRaw?: Record<string, Buffer>;
}

function paxHeaders(): { encode(h: Record<string, unknown>): Buffer } {
  const require = createRequire(import.meta.url);
  return require(join(dirname(require.resolve('tar-stream')), 'headers.js'));
}

export const T0 = new Date('2020-02-02T02:02:02Z');

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    if (e.paxRaw) {
      const body = Buffer.concat(Object.entries(e.paxRaw).map(([k, v]) => paxRecord(k, v)));
      // tar-stream's pack writes PAX values as UTF-8 strings, so the 'x' header is written by hand.
      const hdr = paxHeaders().encode({
        name: `PaxHeaders/${e.name}`.slice(0, 99),
        type: 'pax-header',
        size: body.length,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: T0,
      }) as Buffer;
      const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
      (pack as unknown as { push(b: Buffer): void }).push(Buffer.concat([hdr, body, pad]));
    }
    const type = e.type ?? 'file';
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    await new Promise<void>((res, rej) =>
      pack.entry(
        {
          name: e.name,
          type,
          mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: e.mtime ?? T0,
          linkname: e.linkname,
          devmajor: e.devmajor ?? 0,
          devminor: e.devminor ?? 0,
          size: type === 'file' ? data.length : 0,
        },
        type === 'file' ? data : (undefined as never),
        (err) => (err ? rej(err) : res()),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function stream(b: Buffer, chunk = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += chunk) parts.push(b.subarray(i, i + chunk));
  return Readable.from(parts);
}

/** A temp dir removed after the test, also when it fails. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'hako-layers-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // as non-root, read-only directories a test unpacked block removal: make them writable first
      const open = (p: string): void => {
        try {
          chmodSync(p, 0o700);
        } catch {
          /* not ours */
        }
        for (const n of readdirSync(p, { withFileTypes: true })) if (n.isDirectory()) open(join(p, n.name));
      };
      open(d);
      rmSync(d, { recursive: true, force: true });
    }
  });
  return d;
}

export const isRoot = process.getuid?.() === 0;

/** A zstd frame made of raw (stored) blocks: valid zstd that needs no compressor to produce. */
export function zstdRaw(data: Buffer): Buffer {
  const out: Buffer[] = [];
  const header = Buffer.alloc(4 + 1 + 8);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xe0; // FCS field 8 bytes, single segment
  header.writeBigUInt64LE(BigInt(data.length), 5);
  out.push(header);
  const MAX = 128 * 1024;
  let off = 0;
  do {
    const n = Math.min(MAX, data.length - off);
    const last = off + n >= data.length ? 1 : 0;
    const bh = (n << 3) | (0 << 1) | last; // block type 0 = raw
    out.push(Buffer.from([bh & 0xff, (bh >> 8) & 0xff, (bh >> 16) & 0xff]), data.subarray(off, off + n));
    off += n;
  } while (off < data.length);
  return Buffer.concat(out);
}

/** mknod inside `root` through the layer worker (Node has no mknod): fifos and devices for tests. */
export async function mknodIn(
  root: string,
  nodes: Array<{ path: string; kind: 'fifo' | 'char' | 'block'; mode: number; major?: number; minor?: number }>,
): Promise<void> {
  const { LayerWorker } = await import('../../../src/storage/layers/worker.js');
  const w = new LayerWorker(root);
  for (const n of nodes) w.op(rec('node', n.path, n.kind, String(n.mode), String(n.major ?? 0), String(n.minor ?? 0), '-1', '-1', '0', '0'), n.path);
  await w.close();
}

/** The xattrs of `rel` inside `root`, read through the layer worker (not following a symlink). */
export async function xattrsOf(root: string, rel: string): Promise<Record<string, Buffer>> {
  const { LayerWorker } = await import('../../../src/storage/layers/worker.js');
  const w = new LayerWorker(root);
  const [answer] = await w.query(rec('xattrs', rel), rel);
  await w.close();
  const out: Record<string, Buffer> = {};
  for (let i = 1; i + 1 < answer!.length; i += 2) out[answer![i]!.toString()] = answer![i + 1]!;
  return out;
}
