// A minimal D-Bus client: the wire format (little-endian marshalling of the types systemd's API
// uses), EXTERNAL authentication over a unix socket, method calls with their replies and errors,
// and signals. Why our own: the npm clients are unmaintained (dbus-next 0.10.2, 2021, pins
// event-stream 3.3.4; dbus-native older still) and bring XML introspection, a dozen dependencies and
// long-lived-service machinery that a CLI making three calls and exiting does not need.
// Spec: https://dbus.freedesktop.org/doc/dbus-specification.html ("Message Protocol").
import type net from 'node:net';
import { HakoError } from './errors.js';

/** A variant: its signature and its value. */
export type Variant = [signature: string, value: DBusValue];
export type DBusValue = number | bigint | boolean | string | Variant | DBusValue[];

export interface DBusMessage {
  type: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  sender?: string;
  signature: string;
  body: DBusValue[];
}

/** An error reply: `dbusName` is the D-Bus error name (org.freedesktop.systemd1.NoSuchUnit). */
export class DBusError extends HakoError {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
  }
}

const METHOD_CALL = 1;
const METHOD_RETURN = 2;
const ERROR = 3;
export const SIGNAL = 4;
const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1 };
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8 } as const;
const MAX_MESSAGE = 128 * 1024 * 1024; // the spec's maximum message size

/** The end (exclusive) of the complete type starting at `i` in `sig`. */
function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new HakoError(`dbus: bad signature '${sig}'`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (!(c in ALIGN)) throw new HakoError(`dbus: bad signature '${sig}'`);
  return i + 1;
}

/** The complete types of a signature: "sa{sv}u" -> ["s", "a{sv}", "u"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const end = typeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

/** The fixed-size types: size, and how Buffer reads and writes them (little-endian). */
const FIXED: Record<string, { size: number; put(b: Buffer, v: DBusValue, at: number): void; get(b: Buffer, at: number): DBusValue }> = {
  y: { size: 1, put: (b, v, at) => b.writeUInt8(Number(v), at), get: (b, at) => b.readUInt8(at) },
  b: { size: 4, put: (b, v, at) => b.writeUInt32LE(v ? 1 : 0, at), get: (b, at) => b.readUInt32LE(at) !== 0 },
  n: { size: 2, put: (b, v, at) => b.writeInt16LE(Number(v), at), get: (b, at) => b.readInt16LE(at) },
  q: { size: 2, put: (b, v, at) => b.writeUInt16LE(Number(v), at), get: (b, at) => b.readUInt16LE(at) },
  i: { size: 4, put: (b, v, at) => b.writeInt32LE(Number(v), at), get: (b, at) => b.readInt32LE(at) },
  u: { size: 4, put: (b, v, at) => b.writeUInt32LE(Number(v), at), get: (b, at) => b.readUInt32LE(at) },
  h: { size: 4, put: (b, v, at) => b.writeUInt32LE(Number(v), at), get: (b, at) => b.readUInt32LE(at) },
  x: { size: 8, put: (b, v, at) => b.writeBigInt64LE(BigInt(v as number), at), get: (b, at) => b.readBigInt64LE(at) },
  t: { size: 8, put: (b, v, at) => b.writeBigUInt64LE(BigInt(v as number), at), get: (b, at) => b.readBigUInt64LE(at) },
  d: { size: 8, put: (b, v, at) => b.writeDoubleLE(Number(v), at), get: (b, at) => b.readDoubleLE(at) },
};

class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  private fixed(type: string, v: DBusValue): void {
    const f = FIXED[type];
    this.align(f.size);
    this.ensure(f.size);
    f.put(this.buf, v, this.length);
    this.length += f.size;
  }
  u8(v: number): void {
    this.fixed('y', v);
  }
  u32(v: number): void {
    this.fixed('u', v);
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Marshals `value` as the single complete type `sig`. */
  write(sig: string, value: DBusValue): void {
    const c = sig[0];
    if (c in FIXED) {
      this.fixed(c, value);
    } else if (c === 's' || c === 'o' || c === 'g') {
      const b = Buffer.from(String(value), 'utf8');
      if (c === 'g') this.u8(b.length);
      else this.u32(b.length);
      this.bytes(b);
      this.u8(0);
    } else if (c === 'v') {
      const [vsig, inner] = value as Variant;
      this.write('g', vsig);
      this.write(vsig, inner);
    } else if (c === 'a') {
      this.writeArray(sig.slice(1), value as DBusValue[]);
    } else {
      const parts = splitSignature(sig.slice(1, -1));
      const items = value as DBusValue[];
      if (!Array.isArray(items) || items.length !== parts.length) throw new HakoError(`dbus: value for ${sig} needs ${parts.length} fields`);
      this.align(8);
      parts.forEach((p, i) => {
        this.write(p, items[i]);
      });
    }
  }

  private writeArray(elem: string, items: DBusValue[]): void {
    this.u32(0);
    const lengthAt = this.length - 4;
    this.align(ALIGN[elem[0]]); // the padding before the first element is not part of the length
    const start = this.length;
    for (const item of items) this.write(elem, item);
    this.buf.writeUInt32LE(this.length - start, lengthAt);
  }
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public at = 0,
  ) {}

  private align(n: number): void {
    this.at += (n - (this.at % n)) % n;
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new HakoError('dbus: truncated message');
  }
  private fixed(type: string): DBusValue {
    const f = FIXED[type];
    this.align(f.size);
    this.need(f.size);
    const v = f.get(this.buf, this.at);
    this.at += f.size;
    return v;
  }

  read(sig: string): DBusValue {
    const c = sig[0];
    if (c in FIXED) return this.fixed(c);
    if (c === 's' || c === 'o' || c === 'g') {
      const len = Number(this.fixed(c === 'g' ? 'y' : 'u'));
      this.need(len + 1);
      const s = this.buf.toString('utf8', this.at, this.at + len);
      this.at += len + 1;
      return s;
    }
    if (c === 'v') {
      const vsig = this.read('g') as string;
      splitSignature(vsig);
      return [vsig, this.read(vsig)];
    }
    if (c === 'a') {
      const len = Number(this.fixed('u'));
      this.align(ALIGN[sig[1]]);
      this.need(len);
      const end = this.at + len;
      const items: DBusValue[] = [];
      while (this.at < end) items.push(this.read(sig.slice(1)));
      return items;
    }
    this.align(8);
    return splitSignature(sig.slice(1, -1)).map((p) => this.read(p));
  }
}

/** One message on the wire. */
export function encodeMessage(
  serial: number,
  m: { type: number; path?: string; interface?: string; member?: string; destination?: string; signature?: string; body?: DBusValue[] },
): Buffer {
  const body = new Writer();
  const types = splitSignature(m.signature ?? '');
  types.forEach((t, i) => body.write(t, (m.body ?? [])[i]));
  const fields: DBusValue[] = [];
  if (m.path) fields.push([FIELD.path, ['o', m.path]]);
  if (m.interface) fields.push([FIELD.interface, ['s', m.interface]]);
  if (m.member) fields.push([FIELD.member, ['s', m.member]]);
  if (m.destination) fields.push([FIELD.destination, ['s', m.destination]]);
  if (m.signature) fields.push([FIELD.signature, ['g', m.signature]]);
  const head = new Writer();
  for (const v of [0x6c, m.type, 0, 1]) head.u8(v); // 'l'ittle endian, type, flags, version 1
  head.u32(body.length);
  head.u32(serial);
  head.write('a(yv)', fields);
  head.align(8);
  head.bytes(body.done());
  return head.done();
}

/** The length of the first message in `buf`, or 0 while it is incomplete. */
function messageLength(buf: Buffer): number {
  if (buf.length < 16) return 0;
  if (buf[0] !== 0x6c) throw new HakoError('dbus: big-endian messages are not supported');
  const fieldsLength = buf.readUInt32LE(12);
  const headerEnd = 16 + fieldsLength + ((8 - (fieldsLength % 8)) % 8);
  const total = headerEnd + buf.readUInt32LE(4);
  if (total > MAX_MESSAGE) throw new HakoError('dbus: message too large');
  return buf.length >= total ? total : 0;
}

export function decodeMessage(buf: Buffer): DBusMessage {
  const r = new Reader(buf, 12);
  const fields = r.read('a(yv)') as [number, Variant][];
  const field = (code: number) => fields.find((f) => f[0] === code)?.[1][1];
  r.at += (8 - (r.at % 8)) % 8;
  const signature = (field(FIELD.signature) as string | undefined) ?? '';
  const body = splitSignature(signature).map((t) => r.read(t));
  return {
    type: buf[1],
    serial: buf.readUInt32LE(8),
    path: field(FIELD.path) as string | undefined,
    interface: field(FIELD.interface) as string | undefined,
    member: field(FIELD.member) as string | undefined,
    errorName: field(FIELD.errorName) as string | undefined,
    replySerial: field(FIELD.replySerial) as number | undefined,
    sender: field(FIELD.sender) as string | undefined,
    signature,
    body,
  };
}

export interface CallOptions {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: DBusValue[];
}

/** One connection: authenticated, then calls and signals. Not reentrant across processes; one per
 *  command is the intended use. */
export class DBusConnection {
  private serial = 0;
  private pending = new Map<number, { resolve: (m: DBusMessage) => void; reject: (e: Error) => void }>();
  private signalHandlers: ((m: DBusMessage) => void)[] = [];
  private inbox: Buffer = Buffer.alloc(0);
  private closedError?: Error;

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.failAll(new HakoError(`dbus: ${address}: connection closed`)));
    socket.on('error', (e) => this.failAll(new HakoError(`dbus: ${address}: ${e.message}`)));
  }

  /** Connects to the unix socket `address` and authenticates as our uid (EXTERNAL); on a message
   *  bus (not a peer such as systemd's private socket) also says Hello. */
  static async connect(address: string, opts: { bus?: boolean; timeoutMs?: number } = {}): Promise<DBusConnection> {
    // node:net on first use: the runtime loads this module for every command (the systemd driver),
    // and loading node:net costs Bun ~3 ms of a 15 ms `state`.
    const { createConnection } = await import('node:net');
    const socket = createConnection({ path: address });
    socket.setNoDelay?.(true);
    try {
      await withTimeout(authenticate(socket, address), opts.timeoutMs ?? 10_000, `dbus: ${address}: no answer to authentication`);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    const conn = new DBusConnection(socket, address);
    if (opts.bus !== false) {
      await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
    }
    return conn;
  }

  /** A method call; resolves with the reply's body, rejects with a DBusError for an error reply. */
  call(c: CallOptions): Promise<DBusValue[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const serial = ++this.serial;
    const msg = encodeMessage(serial, { type: METHOD_CALL, ...c });
    return new Promise<DBusMessage>((resolve, reject) => {
      this.pending.set(serial, { resolve, reject });
      this.socket.write(msg);
    }).then((reply) => {
      if (reply.type === ERROR) {
        const text = typeof reply.body[0] === 'string' ? reply.body[0] : reply.errorName;
        throw new DBusError(reply.errorName ?? 'org.freedesktop.DBus.Error.Failed', `${c.member}: ${text}`);
      }
      return reply.body;
    });
  }

  onSignal(handler: (m: DBusMessage) => void): void {
    this.signalHandlers.push(handler);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.inbox = this.inbox.length ? Buffer.concat([this.inbox, chunk]) : chunk;
    try {
      for (let n = messageLength(this.inbox); n > 0; n = messageLength(this.inbox)) {
        const msg = decodeMessage(this.inbox.subarray(0, n));
        this.inbox = this.inbox.subarray(n);
        this.dispatch(msg);
      }
    } catch (e) {
      this.failAll(e as Error);
      this.socket.destroy();
    }
  }

  private dispatch(msg: DBusMessage): void {
    if ((msg.type === METHOD_RETURN || msg.type === ERROR) && msg.replySerial !== undefined) {
      const p = this.pending.get(msg.replySerial);
      this.pending.delete(msg.replySerial);
      p?.resolve(msg);
    } else if (msg.type === SIGNAL) {
      for (const h of this.signalHandlers) h(msg);
    }
  }

  private failAll(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** The SASL exchange: NUL, AUTH EXTERNAL <uid in hex>, OK <guid>, BEGIN. */
function authenticate(socket: net.Socket, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onError = (e: Error) => reject(new HakoError(`dbus: ${address}: ${e.message}`));
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n')) return;
      socket.off('data', onData);
      socket.off('error', onError);
      if (!text.startsWith('OK ')) return reject(new HakoError(`dbus: ${address}: authentication refused (${text.trim()})`));
      socket.write('BEGIN\r\n');
      resolve();
    };
    socket.on('error', onError);
    socket.on('data', onData);
    socket.once('connect', () => {
      const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
      socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    });
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HakoError(message)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
