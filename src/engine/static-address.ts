// docker's `run --ip`, `--ip6` and `--mac-address`: read and checked at create (docker's words), and
// honoured by the bridge driver at start on the container's first network, where the host-wide plan
// refuses an address another container holds, naming it (src/network/driver/ipam.ts).
import { HakoError, quote } from '../util/errors.js';
import { isIPv6, parseIPv6, formatIPv6 } from '../network/ipnet6.js';
import { parseIPv4, formatIPv4 } from '../network/ipnet.js';
import type { NetworkStore } from '../network/index.js';

export const STATIC_ADDRESS_FLAGS = {
  ip: { type: 'string' },
  ip6: { type: 'string' },
  'mac-address': { type: 'string' },
} as const;

export interface StaticAddresses {
  ip?: string;
  ip6?: string;
  macAddress?: string;
}

const bad = (flag: string, value: string, why: string) => new HakoError(`invalid argument ${quote(value)} for "--${flag}" flag: ${why}`);

/** The flags' values, normalised (an IPv6 address as RFC 5952, a MAC in lower case). */
export function readStaticAddresses(opts: StaticAddresses, str: (k: string) => string | undefined): void {
  const ip = str('ip');
  const ip6 = str('ip6');
  const mac = str('mac-address');
  if (ip !== undefined) {
    try {
      opts.ip = formatIPv4(parseIPv4(ip));
    } catch {
      throw bad('ip', ip, `${ip} is not an IPv4 address`);
    }
  }
  if (ip6 !== undefined) {
    if (!isIPv6(ip6)) throw bad('ip6', ip6, `${ip6} is not an IPv6 address`);
    opts.ip6 = formatIPv6(parseIPv6(ip6));
  }
  if (mac !== undefined) {
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw bad('mac-address', mac, `${mac} is not a valid mac address`);
    // A multicast MAC (low bit of the first octet) cannot be an interface's address: the kernel refuses it.
    if (parseInt(mac.slice(0, 2), 16) & 1) throw bad('mac-address', mac, `${mac} is a multicast address, not an interface's`);
    opts.macAddress = mac.toLowerCase();
  }
}

/** docker's refusals at create: a static address needs a user network whose subnet the user gave
 *  (and, for --ip6, an IPv6 one); an address in use now is refused here already, naming the holder. */
export function checkStaticAddresses(plan: { mode: string; names: string[] }, opts: StaticAddresses, store: NetworkStore): void {
  const flag = opts.ip ? 'ip' : opts.ip6 ? 'ip6' : '';
  if (!flag && !opts.macAddress) return;
  if (plan.mode !== 'networks') {
    throw new HakoError(`conflicting options: --${flag || 'mac-address'} and the network mode (${plan.mode === 'container' ? 'container' : plan.mode})`);
  }
  if (!flag) return;
  const first = plan.names[0];
  const info = store.inspect(first);
  if (info.isDefault) throw new HakoError('user specified IP address is supported on user defined networks only');
  if (!info.subnetGiven || info.driver !== 'bridge')
    throw new HakoError('user specified IP address is supported only when connecting to networks with user configured subnets');
  if (opts.ip6 && !info.subnet6) throw new HakoError(`--ip6 ${opts.ip6}: network "${first}" has no IPv6 subnet (create it with --ipv6)`);
  for (const u of store.users(first)) {
    const hit = u.ip === opts.ip ? `--ip ${opts.ip}` : opts.ip6 && u.ip6 === opts.ip6 ? `--ip6 ${opts.ip6}` : '';
    if (hit) throw new HakoError(`${hit}: address already in use by container ${u.name ?? u.containerId.slice(0, 12)}`);
  }
}
