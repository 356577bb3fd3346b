// The IPv6 side of a network's definition: reading it back from a conflist, and choosing it at
// `network create --ipv6` (the given --subnet, or the next free /64 of hako's ULA pool).
import fs from 'node:fs';
import { HakoError } from '../util/errors.js';
import {
  contains6,
  firstFreeSubnet6,
  formatCidr6,
  formatIPv6,
  hostRange6,
  overlaps6,
  parseCidr6,
  parseIPv6,
  readHostRoutes6,
  refuseSubnet6,
  type Cidr6,
} from './ipnet6.js';

/** Where `--ipv6` without an IPv6 --subnet takes a /64 from: a ULA /48 ("hako" in its global ID),
 *  as docker takes one from its default pools; never routed beyond the host (masqueraded). */
export const DEFAULT_POOL6 = 'fd68:616b:6f00::/48';

export interface Subnet6Options {
  subnet6?: string;
  gateway6?: string;
}

/** The second host-local range of a conflist, if it is IPv6. */
export function subnet6Of(range: { subnet?: string; gateway?: string } | undefined, where: string): { subnet6?: string; gateway6?: string } {
  if (!range || typeof range.subnet !== 'string') return {};
  const cidr = parseCidr6(range.subnet, `${where}: IPv6 subnet`);
  const gateway = typeof range.gateway === 'string' ? parseIPv6(range.gateway, `${where}: IPv6 gateway`) : hostRange6(cidr)[0];
  return { subnet6: formatCidr6(cidr), gateway6: formatIPv6(gateway) };
}

/** The host's IPv6 routes (none when the kernel has IPv6 off). */
export function hostRoutes6(): { dev: string; cidr: Cidr6 }[] {
  try {
    return readHostRoutes6(fs.readFileSync('/proc/net/ipv6_route', 'utf8'));
  } catch {
    return [];
  }
}

/** Checks or picks a network's IPv6 subnet and gateway (caller holds the store's lock). */
export function planSubnet6(
  o: Subnet6Options & { bridge?: string },
  used: { name: string; subnet6?: string }[],
  routes: { dev: string; cidr: Cidr6 }[],
): { subnet6: string; gateway6: string } {
  const taken = used.filter((u) => u.subnet6).map((u) => ({ name: u.name, cidr: parseCidr6(u.subnet6!) }));
  let subnet: Cidr6;
  if (o.subnet6 !== undefined) {
    subnet = parseCidr6(o.subnet6, 'subnet');
    const why = refuseSubnet6(subnet);
    if (why) throw new HakoError(`subnet "${o.subnet6}": ${why}`);
    const clash = taken.find((u) => overlaps6(u.cidr, subnet));
    if (clash) throw new HakoError(`subnet "${o.subnet6}": overlaps network "${clash.name}" (${formatCidr6(clash.cidr)})`);
    const route = routes.find((r) => overlaps6(r.cidr, subnet) && r.dev !== o.bridge);
    if (route) throw new HakoError(`subnet "${o.subnet6}": overlaps the host's route ${formatCidr6(route.cidr)} on ${route.dev}`);
  } else {
    if (o.gateway6 !== undefined) throw new HakoError('gateway: an IPv6 gateway needs an IPv6 --subnet');
    const free = firstFreeSubnet6(parseCidr6(DEFAULT_POOL6), 64, [...taken.map((t) => t.cidr), ...routes.map((r) => r.cidr)]);
    if (!free) throw new HakoError(`no free IPv6 subnet left in ${DEFAULT_POOL6}: give one with --subnet`);
    subnet = free;
  }
  const [first, last] = hostRange6(subnet);
  let gateway = first;
  if (o.gateway6 !== undefined) {
    gateway = parseIPv6(o.gateway6, 'gateway');
    if (!contains6(subnet, gateway) || gateway < first || gateway > last) {
      throw new HakoError(`gateway "${o.gateway6}": not a host address of subnet ${formatCidr6(subnet)}`);
    }
  }
  return { subnet6: formatCidr6(subnet), gateway6: formatIPv6(gateway) };
}
