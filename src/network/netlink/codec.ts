// A small typed encoder/decoder of rtnetlink messages: nlmsghdr, the fixed headers of link, address
// and route messages, and rtattrs (nested ones included). Byte layouts as in <linux/netlink.h> and
// <linux/rtnetlink.h>, host byte order (little-endian on every platform hako runs on), 4-byte alignment.
// Only what the bridge driver sends is here; the unit test pins the layouts to known bytes.

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLA_F_NESTED = 0x8000;

export const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19, NEWADDR: 20, DELADDR: 21, NEWROUTE: 24 } as const;
export const AF = { UNSPEC: 0, INET: 2, BRIDGE: 7, INET6: 10 } as const;
/** ifaddrmsg flag: the address is usable at once (no duplicate address detection, as docker adds them). */
export const IFA_F_NODAD = 0x02;
export const IFF_UP = 0x1;
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, MASTER: 10, PROTINFO: 12, LINKINFO: 18, NET_NS_FD: 28 } as const;
export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
export const VETH_INFO_PEER = 1;
export const IFLA_BRPORT_MODE = 4; // hairpin
export const IFA = { ADDRESS: 1, LOCAL: 2, BROADCAST: 4 } as const;
export const RTA = { DST: 1, OIF: 4, GATEWAY: 5 } as const;
export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RTN_UNICAST = 1;

/** An attribute: a type and either raw bytes or nested attributes. */
export interface Attr {
  type: number;
  value: Buffer | Attr[];
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeAttrs(attrs: Attr[]): Buffer {
  return Buffer.concat(
    attrs.map((a) => {
      const nested = Array.isArray(a.value);
      const payload = nested ? encodeAttrs(a.value as Attr[]) : (a.value as Buffer);
      const out = Buffer.alloc(align4(4 + payload.length));
      out.writeUInt16LE(4 + payload.length, 0);
      out.writeUInt16LE(a.type | (nested ? NLA_F_NESTED : 0), 2);
      payload.copy(out, 4);
      return out;
    }),
  );
}

/** Attributes of a payload; nested ones stay raw (decode them again with decodeAttrs). */
export function decodeAttrs(buf: Buffer): { type: number; value: Buffer }[] {
  const out: { type: number; value: Buffer }[] = [];
  for (let off = 0; off + 4 <= buf.length; ) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 2) & ~NLA_F_NESTED, value: buf.subarray(off + 4, off + len) });
    off += align4(len);
  }
  return out;
}

export const str = (s: string): Buffer => Buffer.from(`${s}\0`);
export const u8 = (n: number): Buffer => Buffer.from([n]);
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}
export function ipv4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}
/** An IPv6 address as 16 bytes (network order). */
export function ipv6(n: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(n >> 64n, 0);
  b.writeBigUInt64BE(n & 0xffffffffffffffffn, 8);
  return b;
}
export function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export interface IfInfo {
  family?: number;
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}
export function ifinfomsg(i: IfInfo): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(i.family ?? AF.UNSPEC, 0);
  b.writeUInt16LE(i.type ?? 0, 2);
  b.writeInt32LE(i.index ?? 0, 4);
  b.writeUInt32LE(i.flags ?? 0, 8);
  b.writeUInt32LE(i.change ?? 0, 12);
  return b;
}

export interface IfAddr {
  family: number;
  prefixlen: number;
  flags?: number;
  scope?: number;
  index: number;
}
export function ifaddrmsg(a: IfAddr): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(a.family, 0);
  b.writeUInt8(a.prefixlen, 1);
  b.writeUInt8(a.flags ?? 0, 2);
  b.writeUInt8(a.scope ?? 0, 3);
  b.writeUInt32LE(a.index, 4);
  return b;
}

export interface RtMsg {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
}
export function rtmsg(r: RtMsg): Buffer {
  return Buffer.from([r.family, r.dstLen, 0, 0, r.table, r.protocol, r.scope, r.type, 0, 0, 0, 0]);
}

/** A whole message: nlmsghdr (length, type, flags, sequence, port 0) + fixed header + attributes. */
export function nlmsg(type: number, flags: number, seq: number, header: Buffer, attrs: Attr[] = []): Buffer {
  const body = Buffer.concat([header, encodeAttrs(attrs)]);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  h.writeUInt32LE(0, 12);
  return Buffer.concat([h, body]);
}

export interface Decoded {
  type: number;
  flags: number;
  seq: number;
  payload: Buffer;
  error?: number;
}

/** Splits a buffer of answers into messages; NLMSG_ERROR carries `error` (0 for an ack, else -errno). */
export function decodeMessages(buf: Buffer): Decoded[] {
  const out: Decoded[] = [];
  for (let off = 0; off + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    const m: Decoded = {
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      payload: buf.subarray(off + 16, off + len),
    };
    if (m.type === NLMSG_ERROR) m.error = m.payload.readInt32LE(0);
    out.push(m);
    off += align4(len);
  }
  return out;
}
