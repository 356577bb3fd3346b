// The plan's wire format (native/README.md): per operation u32le argc, then per string u32le length
// and the bytes. Strings may hold any byte, so nothing needs escaping.
/** An operation: its name, then its arguments; a Buffer argument travels as raw bytes (a compiled
 *  filter). Plan operations are made with ops.ts's op(); the layer worker's records use this too. */
export type WireOp = readonly (string | Buffer)[];

export function encodePlan(ops: readonly WireOp[]): Buffer {
  // Sized first, one allocation, lengths stored by hand: a Buffer per length field, or
  // writeUInt32LE's argument checks, cost about a millisecond per plan before the JIT warms up,
  // and a container start runs this once.
  const lens = ops.map((op) => op.map((arg) => (typeof arg === 'string' ? Buffer.byteLength(arg, 'utf8') : arg.length)));
  let size = 0;
  for (const opLens of lens) for (const n of opLens) size += 4 + n;
  const out = Buffer.allocUnsafe(size + 4 * ops.length);
  let pos = 0;
  const u32 = (v: number) => {
    out[pos] = v & 0xff;
    out[pos + 1] = (v >>> 8) & 0xff;
    out[pos + 2] = (v >>> 16) & 0xff;
    out[pos + 3] = v >>> 24;
    pos += 4;
  };
  ops.forEach((op, i) => {
    u32(op.length);
    op.forEach((arg, j) => {
      u32(lens[i]![j]!);
      pos += typeof arg === 'string' ? out.write(arg, pos, 'utf8') : arg.copy(out, pos);
    });
  });
  return out;
}

/** Human-readable form, one operation a line, for `hako runtime plan` and test failure messages. */
export function formatPlan(ops: readonly WireOp[]): string {
  const quote = (s: string | Buffer) => (typeof s !== 'string' ? `<${s.length} bytes>` : /^[\w./:@=,+-]+$/.test(s) ? s : JSON.stringify(s));
  return ops.map((op) => op.map(quote).join(' ')).join('\n');
}

/** The plan for --debug: one line an operation, without the environment (`exec`, `hook`), which
 *  may hold secrets, and without compiled filters. */
export function describePlan(ops: readonly WireOp[]): string[] {
  return ops.map((op) => {
    const name = op[0] as string;
    let shown = op;
    if (name === 'exec') shown = op.slice(0, 2 + Number(op[1]));
    else if (name === 'hook') shown = op.slice(0, 4 + Number(op[3]));
    const more = op.length - shown.length;
    return formatPlan([shown]) + (more ? ` (+${more} environment entries)` : '');
  });
}

/** The first operation in `buf` (from byte `start`) and the bytes it took, or undefined while it is
 *  incomplete. Arguments stay bytes: the layer worker's answers (hako-init unpack) carry xattr values. */
export function decodeOpBytes(buf: Buffer, start = 0): { op: Buffer[]; length: number } | undefined {
  if (buf.length < start + 4) return undefined;
  const argc = buf.readUInt32LE(start);
  const op: Buffer[] = [];
  let pos = start + 4;
  for (let i = 0; i < argc; i++) {
    if (pos + 4 > buf.length) return undefined;
    const n = buf.readUInt32LE(pos);
    if (pos + 4 + n > buf.length) return undefined;
    op.push(buf.subarray(pos + 4, pos + 4 + n));
    pos += 4 + n;
  }
  return { op, length: pos - start };
}

/** decodeOpBytes with UTF-8 strings (hako-init's hello on the engine socket uses this encoding). */
export function decodeOp(buf: Buffer): { op: string[]; length: number } | undefined {
  const decoded = decodeOpBytes(buf);
  return decoded && { op: decoded.op.map((b) => b.toString('utf8')), length: decoded.length };
}
