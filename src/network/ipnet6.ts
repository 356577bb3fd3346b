// IPv6 address and CIDR arithmetic (BigInt: 128 bits) for the bridge driver's dual-stack networks:
// parsing (with :: and a trailing dotted quad), RFC 5952 formatting (what docker and `ip` print),
// containment, overlap, and the subnets a network may not take (loopback, link-local, multicast, …).
import { HakoError } from '../util/errors.js';

export interface Cidr6 {
  /** Network address (host bits clear). */
  base: bigint;
  prefix: number;
}

const ALL = (1n << 128n) - 1n;

/** Parses an IPv6 address (no zone, no brackets); throws naming `what`. */
export function parseIPv6(text: string, what = 'address'): bigint {
  const bad = () => new HakoError(`${what}: "${text}" is not an IPv6 address`);
  if (typeof text !== 'string' || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) throw bad();
  let s = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (dotted) {
    const q = dotted.slice(2).map(Number);
    if (q.some((n) => n > 255)) throw bad();
    tail.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
    s = dotted[1].endsWith('::') ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  for (const g of [...head, ...rest]) if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw bad();
  const words = [...head.map((g) => parseInt(g, 16)), ...Array(8 - given).fill(0), ...rest.map((g) => parseInt(g, 16)), ...tail];
  return words.reduce((acc: bigint, w: number) => (acc << 16n) | BigInt(w), 0n);
}

/** RFC 5952: lower case, leading zeros dropped, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(n: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

export function isIPv6(text: string): boolean {
  try {
    parseIPv6(text);
    return true;
  } catch {
    return false;
  }
}

export function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL;
}

/** Parses "addr/n" (IPv6); the address must be the network address. */
export function parseCidr6(text: string, what = 'subnet'): Cidr6 {
  const slash = text.indexOf('/');
  if (slash < 0) throw new HakoError(`${what}: "${text}" is not a CIDR subnet (addr/n)`);
  const addr = parseIPv6(text.slice(0, slash), what);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128) throw new HakoError(`${what}: "${text}" has an invalid prefix length`);
  const prefix = Number(prefixText);
  if ((addr & mask6(prefix)) !== addr)
    throw new HakoError(`${what}: "${text}" has host bits set (did you mean ${formatIPv6(addr & mask6(prefix))}/${prefix}?)`);
  return { base: addr, prefix };
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIPv6(c.base)}/${c.prefix}`;
}

export function contains6(c: Cidr6, addr: bigint): boolean {
  return (addr & mask6(c.prefix)) === c.base;
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const m = mask6(Math.min(a.prefix, b.prefix));
  return (a.base & m) === (b.base & m);
}

/** Number of addresses of the subnet. */
export function size6(c: Cidr6): bigint {
  return 1n << BigInt(128 - c.prefix);
}

/** Usable host range [first, last]: the subnet-router anycast address (all host bits zero) excluded. */
export function hostRange6(c: Cidr6): [bigint, bigint] {
  return [c.base + 1n, c.base + size6(c) - 1n];
}

/** Ranges no network may take: they mean something else to every host. */
const SPECIAL: [string, string][] = [
  ['::/128', 'the unspecified address'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

/** Why `c` cannot be a network's subnet, or undefined. Bridges need a gateway and one container at
 *  least, without the anycast address: at most /126; a subnet of the whole space is refused too. */
export function refuseSubnet6(c: Cidr6): string | undefined {
  if (c.prefix > 126) return 'too small (at most /126)';
  if (c.prefix < 8) return 'too large (at least /8)';
  for (const [s, what] of SPECIAL) if (overlaps6(c, parseCidr6(s))) return `overlaps the ${what} range ${s}`;
  return undefined;
}

/** The host's IPv6 routes that a subnet must not overlap: /proc/net/ipv6_route without default,
 *  loopback, link-local and multicast routes and the local table's host routes on lo. */
export function readHostRoutes6(text: string): { dev: string; cidr: Cidr6 }[] {
  const out: { dev: string; cidr: Cidr6 }[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0])) continue;
    const prefix = parseInt(f[1], 16);
    const dev = f[9];
    if (prefix === 0 || dev === 'lo') continue;
    const cidr = { base: BigInt(`0x${f[0]}`) & mask6(prefix), prefix };
    if (SPECIAL.some(([s]) => overlaps6(cidr, parseCidr6(s)))) continue;
    out.push({ dev, cidr });
  }
  return out;
}

/** The first /64 of `pool` overlapping none of `used`, or undefined (at most 65536 looked at). */
export function firstFreeSubnet6(pool: Cidr6, prefix: number, used: Cidr6[]): Cidr6 | undefined {
  if (prefix < pool.prefix) return undefined;
  const step = 1n << BigInt(128 - prefix);
  const count = Math.min(2 ** Math.min(prefix - pool.prefix, 30), 65536);
  for (let i = 0; i < count; i++) {
    const cand = { base: pool.base + BigInt(i) * step, prefix };
    if (!used.some((u) => overlaps6(u, cand))) return cand;
  }
  return undefined;
}
