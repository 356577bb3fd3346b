// IPv4 address and CIDR arithmetic for subnet allocation and validation (IPv6, for dual-stack
// networks, is ipnet6.ts; parseCidr refuses an IPv6 subnet with a clear message).
import { HakoError } from '../util/errors.js';

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  base: number;
  prefix: number;
}

/** Parses dotted-quad IPv4; throws HakoError naming `what`. */
export function parseIPv4(text: string, what = 'address'): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) throw new HakoError(`${what}: "${text}" is not an IPv4 address`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new HakoError(`${what}: "${text}" is not an IPv4 address`);
  return (((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3]) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; the address must be the network address (no host bits), like `ip route` wants. */
export function parseCidr(text: string, what = 'subnet'): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new HakoError(`${what}: "${text}" is not a CIDR subnet (a.b.c.d/n)`);
  if (text.includes(':')) throw new HakoError(`${what}: "${text}": only IPv4 subnets are supported`);
  const addr = parseIPv4(text.slice(0, slash), what);
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,2}$/.test(prefixText) || prefix > 32) throw new HakoError(`${what}: "${text}" has an invalid prefix length`);
  if ((addr & mask(prefix)) >>> 0 !== addr) {
    throw new HakoError(`${what}: "${text}" has host bits set (did you mean ${formatIPv4((addr & mask(prefix)) >>> 0)}/${prefix}?)`);
  }
  return { base: addr, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, addr: number): boolean {
  return (addr & mask(c.prefix)) >>> 0 === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

/** Usable host range [first, last] of a subnet: network and broadcast addresses excluded for /0-/30. */
export function hostRange(c: Cidr): [number, number] {
  if (c.prefix >= 31) return [c.base, c.base + size(c) - 1];
  return [c.base + 1, c.base + size(c) - 2];
}

/** Splits a pool into consecutive subnets of `prefix` and returns the first that overlaps none of `used`. */
export function firstFreeSubnet(pool: Cidr, prefix: number, used: Cidr[]): Cidr | undefined {
  if (prefix < pool.prefix) return undefined;
  const step = 2 ** (32 - prefix);
  const count = 2 ** (prefix - pool.prefix);
  for (let i = 0; i < count; i++) {
    const cand = { base: (pool.base + i * step) >>> 0, prefix };
    if (!used.some((u) => overlaps(u, cand))) return cand;
  }
  return undefined;
}
