// A small tar writer (ustar headers, PAX extended headers) for the layers a build makes. Not
// tar-stream's packer: it writes PAX values as UTF-8 text, and an xattr value is bytes (a file
// capability, `security.capability`, is binary). Here PAX values are written as the bytes they are,
// as the unpacker (src/storage/layers/pax-raw.ts) reads them back. Long or non-ASCII-safe names and
// link targets, big ids and sizes go into PAX records too.
import type { Writable } from 'node:stream';
import { once } from 'node:events';

export type TarType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX records (SCHILY.xattr.NAME → raw value). */
  pax?: Map<string, Buffer>;
}

const FLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6' };
const BLOCK = 512;

export class TarWriter {
  constructor(private readonly out: Writable) {}

  private async write(b: Buffer): Promise<void> {
    if (!this.out.write(b)) await once(this.out, 'drain');
  }

  /** One entry; a file's content (exactly `size` bytes) comes from `content`. */
  async entry(h: TarHeader, content?: AsyncIterable<Buffer>): Promise<void> {
    const size = h.type === 'file' ? (h.size ?? 0) : 0;
    const pax = new Map(h.pax);
    const nameBytes = Buffer.from(h.name);
    const linkBytes = Buffer.from(h.linkname ?? '');
    if (nameBytes.length > 100) pax.set('path', nameBytes);
    if (linkBytes.length > 100) pax.set('linkpath', linkBytes);
    if (h.uid > 0o7777777) pax.set('uid', Buffer.from(String(h.uid)));
    if (h.gid > 0o7777777) pax.set('gid', Buffer.from(String(h.gid)));
    if (size > 0o77777777777) pax.set('size', Buffer.from(String(size)));
    if (pax.size) {
      const body = Buffer.concat([...pax].map(([k, v]) => paxRecord(k, v)));
      await this.write(header({ name: 'PaxHeader', flag: 'x', mode: 0o644, uid: 0, gid: 0, mtime: h.mtime, size: body.length }));
      await this.write(body);
      await this.write(padding(body.length));
    }
    await this.write(
      header({
        name: nameBytes.length > 100 ? nameBytes.subarray(0, 100) : nameBytes,
        flag: FLAG[h.type],
        mode: h.mode,
        uid: Math.min(h.uid, 0o7777777),
        gid: Math.min(h.gid, 0o7777777),
        mtime: h.mtime,
        size: Math.min(size, 0o77777777777),
        linkname: linkBytes.length > 100 ? linkBytes.subarray(0, 100) : linkBytes,
        devmajor: h.devmajor,
        devminor: h.devminor,
      }),
    );
    if (h.type !== 'file') return;
    let written = 0;
    for await (const chunk of content ?? []) {
      if (written + chunk.length > size) throw new Error(`${h.name}: the file grew while it was read`);
      written += chunk.length;
      await this.write(chunk);
    }
    if (written !== size) throw new Error(`${h.name}: the file shrank while it was read`);
    await this.write(padding(size));
  }

  /** The two zero blocks that end an archive, and the end of the stream. */
  async end(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
    this.out.end();
  }
}

/** `LEN KEY=VALUE\n`, LEN counting itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(` ${key}=`) + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

function padding(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

interface RawHeader {
  name: Buffer | string;
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname?: Buffer;
  devmajor?: number;
  devminor?: number;
}

function header(h: RawHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  const octal = (off: number, len: number, v: number) =>
    b.write(
      `${Math.max(0, Math.floor(v))
        .toString(8)
        .padStart(len - 1, '0')}\0`,
      off,
      'latin1',
    );
  (typeof h.name === 'string' ? Buffer.from(h.name) : h.name).copy(b, 0, 0, 100);
  octal(100, 8, h.mode & 0o7777);
  octal(108, 8, h.uid);
  octal(116, 8, h.gid);
  octal(124, 12, h.size);
  octal(136, 12, h.mtime);
  b.write(h.flag, 156, 'latin1');
  h.linkname?.copy(b, 157, 0, 100);
  b.write('ustar\x0000', 257, 'latin1');
  octal(329, 8, h.devmajor ?? 0);
  octal(337, 8, h.devminor ?? 0);
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}
