// Raw PAX xattr values. tar-stream decodes PAX records as UTF-8 strings, which destroys binary xattr
// values (a security.capability value is raw bytes; invalid UTF-8 turns into U+FFFD). GNU tar and
// the Go/Docker tar writers store SCHILY.xattr.* values as raw bytes.
//
// So the uncompressed tar passes through PaxScanner on its way to tar-stream. The scanner walks the
// same 512-byte blocks tar-stream walks (headers, PAX 'x'/'g' and GNU 'L'/'K' bodies, entry data)
// and keeps the raw SCHILY.xattr.* bytes of each PAX header, keyed by the stream offset just after
// the header of the entry they belong to: exactly what tar-stream reports as header.byteOffset. A
// key only matches where both walks saw a header at the same offset, so a disagreement can drop
// xattrs but never give them to another entry. Part of hako's own code (an earlier version patched
// tar-stream's headers.js through require(), which does not exist once the CLI is bundled).

import { Transform, type TransformCallback } from 'node:stream';

const XATTR_PREFIX = 'SCHILY.xattr.';
/** tar-stream refuses longer meta headers too. */
const MAX_META = 1024 * 1024;

/** The records of a PAX body as raw bytes (the key as UTF-8). */
export function paxRecords(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 32) i++;
    const len = parseInt(buf.subarray(0, i).toString('latin1'), 10);
    if (!len || len > buf.length) break;
    const rec = buf.subarray(i + 1, len - 1); // drop the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq === -1) break;
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    buf = buf.subarray(len);
  }
  return out;
}

/** A header's numeric field: octal text, or base-256 when the high bit is set (as tar-stream). */
function num(b: Buffer): number {
  if (b[0]! & 0x80) {
    if (b[0] !== 0x80) return NaN; // negative: tar-stream fails on it too
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

export class PaxScanner extends Transform {
  private buf = Buffer.alloc(0);
  private offset = 0; // stream offset of buf[0]
  private skip = 0; // data bytes still to pass over
  private meta: { type: number; size: number; left: number; parts: Buffer[] } | undefined;
  private global: Map<string, Buffer> | undefined;
  private pending: Map<string, Buffer> | undefined;
  private readonly found = new Map<number, Record<string, Buffer>>();

  /** The raw xattrs of the entry whose header ended at `byteOffset` (tar-stream's header.byteOffset). */
  rawXattrsAt(byteOffset: number | undefined): Record<string, Buffer> {
    if (byteOffset === undefined) return {};
    const x = this.found.get(byteOffset);
    this.found.delete(byteOffset);
    return x ?? {};
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.scan(chunk);
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let c = chunk;
    while (c.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, c.length);
        if (this.meta) this.meta.parts.push(c.subarray(0, Math.min(n, this.meta.left)));
        if (this.meta) this.meta.left -= Math.min(n, this.meta.left);
        this.skip -= n;
        this.offset += n;
        c = c.subarray(n);
        if (this.skip === 0 && this.meta) this.endMeta();
        continue;
      }
      // a header block: 512 bytes, gathered across chunks only when a chunk ends inside one
      let h: Buffer;
      if (this.buf.length === 0 && c.length >= 512) {
        h = c.subarray(0, 512);
        c = c.subarray(512);
      } else {
        const need = 512 - this.buf.length;
        this.buf = Buffer.concat([this.buf, c.subarray(0, need)]);
        c = c.subarray(Math.min(need, c.length));
        if (this.buf.length < 512) return;
        h = this.buf;
        this.buf = Buffer.alloc(0);
      }
      this.offset += 512;
      this.header(h);
    }
  }

  private header(h: Buffer): void {
    if (h[156] === 0 && h[0] === 0 && h.every((b) => b === 0)) return; // end-of-archive blocks: tar-stream skips them too
    let type = h[156]!;
    const size = num(h.subarray(124, 136));
    if (!(size >= 0)) return;
    const padded = (n: number) => n + ((512 - (n % 512)) % 512);
    // 'x' PAX, 'g' global PAX, 'L'/'K' GNU long names: bodies that belong to the next entry.
    if (type === 0x78 || type === 0x67 || type === 0x4c || type === 0x4b) {
      if (size > MAX_META) {
        this.skip = padded(size);
        return;
      }
      this.meta = { type, size, left: size, parts: [] };
      this.skip = padded(size);
      if (this.skip === 0) this.endMeta();
      return;
    }
    const pax = this.pending;
    this.pending = undefined;
    const paxSize = pax?.get('size');
    let dataSize = paxSize && parseInt(paxSize.toString('latin1'), 10) ? parseInt(paxSize.toString('latin1'), 10) : size;
    const name = h.subarray(0, 100);
    if ((type === 0 || type === 0x30) && name.indexOf(0) !== 0 && name[(name.indexOf(0) === -1 ? 100 : name.indexOf(0)) - 1] === 0x2f) type = 0x35;
    if (type === 0x35) dataSize = 0; // tar-stream reads no data for directories
    if (pax) {
      const x: Record<string, Buffer> = {};
      for (const [k, v] of pax) if (k.startsWith(XATTR_PREFIX)) x[k.slice(XATTR_PREFIX.length)] = v;
      if (Object.keys(x).length) this.found.set(this.offset, x);
    }
    this.skip = padded(dataSize);
  }

  private endMeta(): void {
    const m = this.meta!;
    this.meta = undefined;
    if (m.type !== 0x78 && m.type !== 0x67) return;
    const recs = paxRecords(Buffer.concat(m.parts));
    if (m.type === 0x67) {
      this.global = recs;
      return;
    }
    // as tar-stream: a PAX header is merged over the global one
    this.pending = this.global ? new Map([...this.global, ...recs]) : recs;
  }
}
