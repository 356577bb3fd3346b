// The plan's wire format (native/README.md): per operation u32le argc, then per string u32le length
// and the bytes. Strings may hold any byte, so nothing needs escaping.
/** An operation: its name, then its arguments; a Buffer argument travels as raw bytes (a compiled filter). */
export type Op = (string | Buffer)[];

export function encodePlan(ops: readonly Op[]): Buffer {
  const parts: Buffer[] = [];
  for (const op of ops) {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(op.length);
    parts.push(head);
    for (const arg of op) {
      const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** Human-readable form, one operation a line, for `hako runtime plan` and test failure messages. */
export function formatPlan(ops: readonly Op[]): string {
  const quote = (s: string | Buffer) =>
    typeof s !== 'string' ? `<${s.length} bytes>` : /^[\w./:@=,+-]+$/.test(s) ? s : JSON.stringify(s);
  return ops.map((op) => op.map(quote).join(' ')).join('\n');
}
