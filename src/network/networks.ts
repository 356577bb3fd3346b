// Named networks: one CNI conflist per network in a config directory (default /etc/hako/networks,
// `<name>.conflist`), so the file IS the network (a user may read or edit it with any CNI tool).
// Every network is a Linux bridge with host-local IPAM; its leases live under our own data dir
// (/var/lib/hako/networks/ipam/<name>/<ip>, holding "<container id>\n<ifname>"), which is also how we
// know which containers use a network (removeNetwork refuses while leases exist).
// The default network `hako` (bridge hako0, 10.89.0.0/24: not podman's 10.88.0.0/16) is written on
// first use; created networks get the next free /24 of 10.89.0.0/16 that overlaps neither another
// network nor a route of the host (/proc/net/route).
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { withPidLock } from '../util/pidlock.js';
import { parseConfList, type ConfList, type PluginConf, CniExecutor } from './cni.js';
import { formatCidr, formatIPv4, firstFreeSubnet, hostRange, overlaps, parseCidr, parseIPv4, contains, type Cidr } from './ipnet.js';
import { hostRoutes6, planSubnet6, subnet6Of, type Subnet6Options } from './subnet6.js';
import type { Cidr6 } from './ipnet6.js';
import { bridgeExists, deleteBridge } from './bridge.js';
import { HostIpam } from './driver/ipam.js';
import { mkdirp } from '../util/mkdirp.js';
import { sha256Hex } from '../util/sha256.js';
import { randomHex } from '../util/random.js';

export const DEFAULT_CONFIG_DIR = '/etc/hako/networks';
export const DEFAULT_IPAM_DIR = '/var/lib/hako/networks/ipam';
export const DEFAULT_NETWORK = 'hako';
export const DEFAULT_BRIDGE = 'hako0';
export const DEFAULT_SUBNET = '10.89.0.0/24';
export const DEFAULT_POOL = '10.89.0.0/16';
export const CNI_VERSION = '1.0.0';
/** Names with a meaning in `--network`: they cannot name a network. */
export const RESERVED_NAMES = ['none', 'host', 'bridge', 'default', 'container'];

export interface NetworkStoreOptions {
  configDir?: string;
  ipamDir?: string;
  /** Pool that subnets of new networks are carved from (as /24s, or smaller if the pool is). */
  pool?: string;
  executor?: CniExecutor;
  /** Routes of the host to avoid; default: read /proc/net/route. Tests inject their own. */
  hostRoutes?: () => { dev: string; cidr: Cidr }[];
  /** The host-wide address plan of the bridge driver (default /run/hako/networks). */
  hostIpam?: HostIpam;
  /** Whether a host interface of that name exists (bridge names already taken); tests inject one. */
  linkExists?: (name: string) => boolean;
  /** The host's IPv6 routes to avoid; default: /proc/net/ipv6_route. */
  hostRoutes6?: () => { dev: string; cidr: Cidr6 }[];
}

/** `bridge`: hako's in-process driver (driver/); `cni`: the conflist's plugins run as they are. */
export type NetworkDriver = 'bridge' | 'cni';

export interface NetworkInfo {
  name: string;
  driver: NetworkDriver;
  bridge: string;
  subnet: string;
  gateway: string;
  /** IPv6 (`network create --ipv6`): the second range of the conflist's host-local IPAM. */
  subnet6?: string;
  gateway6?: string;
  /** The subnet was the user's (`--subnet`), not picked from the pool: docker allows `--ip` only then. */
  subnetGiven: boolean;
  /** The conflist file; absent for the default network before its first use. */
  file?: string;
  isDefault: boolean;
  conflist: ConfList;
  /** docker's network ID: 64 hex digits, kept in the conflist (`hakoId`); a conflist written
   *  without one (the default network, older files) gets the sha256 of its name. */
  id: string;
  /** `hakoLabels` of the conflist: docker's network labels (compose names its networks by them). */
  labels: Record<string, string>;
  /** `hakoOptions`: the driver options the network was created with, as docker shows them back. */
  options: Record<string, string>;
  /** `hakoCreated`, ISO 8601; the file's time for conflists without it, '' before the file exists. */
  created: string;
}

export interface NetworkUser {
  containerId: string;
  ifName: string;
  ip: string;
  /** Dual-stack networks: the same interface's IPv6 address. */
  ip6?: string;
  /** The container's name where the lease keeps it. */
  name?: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateNetworkName(name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.length > 64) {
    throw new HakoError(`network name "${name}": must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit`);
  }
  if (RESERVED_NAMES.includes(name)) throw new HakoError(`network name "${name}": is reserved (network modes none, host, bridge)`);
  return name;
}

/** Linux interface names: 1-15 bytes, no "/", ":" or whitespace, not "." or "..". */
export function validateIfName(name: string, what = 'bridge name'): string {
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new HakoError(`${what} "${name}": must be 1-15 letters, digits, "_", "." or "-"`);
  }
  return name;
}

export interface ConfListOptions {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipamDir: string;
  driver?: NetworkDriver;
  subnet6?: string;
  gateway6?: string;
}

/** The conflist of a hako bridge network: bridge (+host-local), portmap, firewall. The bridge driver
 *  reads bridge, subnet and gateway from it and does the rest itself; `"hakoDriver": "cni"` runs the
 *  plugins instead (`network create --driver cni`). */
export function buildConfList(o: ConfListOptions): ConfList {
  const plugins: PluginConf[] = [
    {
      type: 'bridge',
      bridge: o.bridge,
      isGateway: true, // the bridge holds the gateway address and is the default route
      ipMasq: true, // outgoing traffic is masqueraded to the host's address
      hairpinMode: true, // a container can reach itself through a mapped port
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: o.subnet, gateway: o.gateway }], ...(o.subnet6 ? [[{ subnet: o.subnet6, gateway: o.gateway6 }]] : [])],
        routes: [{ dst: '0.0.0.0/0' }, ...(o.subnet6 ? [{ dst: '::/0' }] : [])],
        dataDir: o.ipamDir,
      },
    },
    // -p host:container: DNAT rules filled from runtimeConfig.portMappings; snat makes 127.0.0.1 work.
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    // Accepts the container's traffic in FORWARD, also when the host's FORWARD policy is DROP.
    { type: 'firewall', backend: 'iptables' },
  ];
  return { cniVersion: CNI_VERSION, name: o.name, ...(o.driver === 'cni' ? { hakoDriver: 'cni' } : {}), plugins };
}

/** Reads bridge, subnet and gateway back from a conflist whose first plugin is a bridge. */
export function describeConfList(list: ConfList, file?: string): NetworkInfo {
  const br = list.plugins[0];
  const where = file ?? `network "${list.name}"`;
  if (br.type !== 'bridge' || typeof br.bridge !== 'string') throw new HakoError(`${where}: plugins[0] must be a bridge plugin with a "bridge" name`);
  const ipam = br.ipam as { type?: string; ranges?: { subnet?: string; gateway?: string }[][]; subnet?: string; gateway?: string } | undefined;
  const range = ipam?.ranges?.[0]?.[0] ?? ipam;
  if (!range || typeof range.subnet !== 'string') throw new HakoError(`${where}: plugins[0].ipam has no subnet`);
  const cidr = parseCidr(range.subnet, `${where}: subnet`);
  const gateway = typeof range.gateway === 'string' ? range.gateway : formatIPv4(hostRange(cidr)[0]);
  const driver: NetworkDriver = list.hakoDriver === 'cni' ? 'cni' : 'bridge';
  const id = typeof list.hakoId === 'string' && /^[0-9a-f]{64}$/.test(list.hakoId) ? list.hakoId : sha256Hex(list.name);
  const labels = isStringRecord(list.hakoLabels) ? list.hakoLabels : {};
  const options = isStringRecord(list.hakoOptions) ? list.hakoOptions : {};
  let created = typeof list.hakoCreated === 'string' ? list.hakoCreated : '';
  if (!created && file) {
    try {
      created = fs.statSync(file).mtime.toISOString();
    } catch {
      /* gone meanwhile */
    }
  }
  return {
    name: list.name,
    driver,
    bridge: br.bridge,
    subnet: formatCidr(cidr),
    gateway,
    ...subnet6Of(ipam?.ranges?.[1]?.[0], where),
    subnetGiven: list.hakoSubnetGiven === true,
    file,
    isDefault: list.name === DEFAULT_NETWORK,
    conflist: list,
    id,
    labels,
    options,
    created,
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** The host's IPv4 routes except default routes (from /proc/net/route: little-endian hex). */
export function readHostRoutes(text = fs.readFileSync('/proc/net/route', 'utf8')): { dev: string; cidr: Cidr }[] {
  const out: { dev: string; cidr: Cidr }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (hex: string) => Buffer.from(hex, 'hex').readUInt32LE(0);
    const dst = le(f[1]);
    const m = le(f[7]);
    const prefix = m.toString(2).replace(/0+$/, '').length;
    if (prefix === 0) continue;
    out.push({ dev: f[0], cidr: { base: (dst & m) >>> 0, prefix } });
  }
  return out;
}

export class NetworkStore {
  readonly configDir: string;
  readonly ipamDir: string;
  private readonly pool: Cidr;
  private readonly executor: CniExecutor;
  private readonly hostRoutes: () => { dev: string; cidr: Cidr }[];
  private readonly linkExists: (name: string) => boolean;
  private readonly hostRoutes6: () => { dev: string; cidr: Cidr6 }[];
  readonly hostIpam: HostIpam;

  constructor(opts: NetworkStoreOptions = {}) {
    this.hostIpam = opts.hostIpam ?? new HostIpam();
    this.configDir = opts.configDir ?? DEFAULT_CONFIG_DIR;
    this.ipamDir = opts.ipamDir ?? DEFAULT_IPAM_DIR;
    this.pool = parseCidr(opts.pool ?? DEFAULT_POOL, 'network pool');
    this.executor = opts.executor ?? new CniExecutor();
    this.hostRoutes = opts.hostRoutes ?? (() => readHostRoutes());
    this.linkExists = opts.linkExists ?? bridgeExists;
    this.hostRoutes6 = opts.hostRoutes6 ?? hostRoutes6;
  }

  private file(name: string): string {
    return path.join(this.configDir, `${name}.conflist`);
  }

  private lock<T>(fn: () => T): T {
    mkdirp(this.configDir, 0o755);
    return withPidLock(path.join(this.configDir, '.lock'), fn);
  }

  private defaultInfo(): NetworkInfo {
    const list = buildConfList({
      name: DEFAULT_NETWORK,
      bridge: DEFAULT_BRIDGE,
      subnet: DEFAULT_SUBNET,
      gateway: formatIPv4(hostRange(parseCidr(DEFAULT_SUBNET))[0]),
      ipamDir: this.ipamDir,
    });
    return describeConfList(list);
  }

  private readAll(): NetworkInfo[] {
    let names: string[];
    try {
      names = fs
        .readdirSync(this.configDir)
        .filter((f) => f.endsWith('.conflist'))
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new HakoError(`${this.configDir}: cannot read network configurations: ${(e as NodeJS.ErrnoException).code}`);
    }
    return names.map((f) => {
      const file = path.join(this.configDir, f);
      const info = describeConfList(parseConfList(fs.readFileSync(file, 'utf8'), file), file);
      if (`${info.name}.conflist` !== f) throw new HakoError(`${file}: name "${info.name}" does not match the file name`);
      return info;
    });
  }

  /** Every network, the default one included (also before it was written). */
  list(): NetworkInfo[] {
    const all = this.readAll();
    if (!all.some((n) => n.name === DEFAULT_NETWORK)) all.unshift(this.defaultInfo());
    return all;
  }

  inspect(name: string): NetworkInfo {
    if (name === 'bridge') name = DEFAULT_NETWORK;
    const found = this.list().find((n) => n.name === name);
    if (!found) throw new HakoError(`network "${name}" not found`);
    return found;
  }

  /** A network by name, ID or unique ID prefix (docker's lookup); `bridge` is the default network. */
  find(ref: string): NetworkInfo {
    const all = this.list();
    const name = ref === 'bridge' ? DEFAULT_NETWORK : ref;
    const hit = all.find((n) => n.name === name) ?? all.find((n) => n.id === ref);
    if (hit) return hit;
    const byPrefix = /^[0-9a-f]{1,63}$/.test(ref) ? all.filter((n) => n.id.startsWith(ref)) : [];
    if (byPrefix.length > 1) throw new HakoError(`network "${ref}" is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    if (!byPrefix[0]) throw new HakoError(`network "${ref}" not found`);
    return byPrefix[0];
  }

  /** The conflist to attach with; writes the default network's file on its first use. */
  confList(name: string): ConfList {
    if (name === 'bridge') name = DEFAULT_NETWORK;
    if (name === DEFAULT_NETWORK && !fs.existsSync(this.file(name))) {
      this.lock(() => {
        if (!fs.existsSync(this.file(name))) this.write(this.defaultInfo().conflist);
      });
    }
    return this.inspect(name).conflist;
  }

  create(
    name: string,
    opts: {
      subnet?: string;
      gateway?: string;
      bridge?: string;
      driver?: NetworkDriver;
      labels?: Record<string, string>;
      options?: Record<string, string>;
      /** Dual stack (`--ipv6`): subnet6/gateway6 given, or a /64 of DEFAULT_POOL6. */
      ipv6?: boolean;
    } & Subnet6Options = {},
  ): NetworkInfo {
    if (!opts.ipv6 && (opts.subnet6 !== undefined || opts.gateway6 !== undefined))
      throw new HakoError(`subnet "${opts.subnet6 ?? opts.gateway6}": an IPv6 subnet needs --ipv6`);
    if (opts.ipv6 && opts.driver === 'cni') throw new HakoError('--ipv6: only with the bridge driver (not --driver cni)');
    validateNetworkName(name);
    if (name === DEFAULT_NETWORK) throw new HakoError(`network "${name}" already exists (the default network)`);
    if (opts.bridge !== undefined) validateIfName(opts.bridge);
    return this.lock(() => {
      const existing = this.list();
      if (existing.some((n) => n.name === name)) throw new HakoError(`network "${name}" already exists`);
      const usedSubnets = existing.map((n) => ({ name: n.name, cidr: parseCidr(n.subnet) }));
      const routes = this.hostRoutes();
      let subnet: Cidr;
      if (opts.subnet !== undefined) {
        subnet = parseCidr(opts.subnet, 'subnet');
        if (subnet.prefix > 30) throw new HakoError(`subnet "${opts.subnet}": too small (at most /30)`);
        const clash = usedSubnets.find((u) => overlaps(u.cidr, subnet));
        if (clash) throw new HakoError(`subnet "${opts.subnet}": overlaps network "${clash.name}" (${formatCidr(clash.cidr)})`);
        const route = routes.find((r) => overlaps(r.cidr, subnet) && r.dev !== opts.bridge);
        if (route) throw new HakoError(`subnet "${opts.subnet}": overlaps the host's route ${formatCidr(route.cidr)} on ${route.dev}`);
      } else {
        if (opts.gateway !== undefined) throw new HakoError('gateway: needs a subnet');
        const free = firstFreeSubnet(this.pool, Math.max(24, this.pool.prefix), [...usedSubnets.map((u) => u.cidr), ...routes.map((r) => r.cidr)]);
        if (!free) throw new HakoError(`no free subnet left in ${formatCidr(this.pool)}: give one with --subnet`);
        subnet = free;
      }
      const [first, last] = hostRange(subnet);
      let gateway = first;
      if (opts.gateway !== undefined) {
        gateway = parseIPv4(opts.gateway, 'gateway');
        if (!contains(subnet, gateway) || gateway < first || gateway > last) {
          throw new HakoError(`gateway "${opts.gateway}": not a host address of subnet ${formatCidr(subnet)}`);
        }
      }
      const bridges = new Set(existing.map((n) => n.bridge));
      let bridge = opts.bridge;
      if (bridge === undefined) {
        for (let i = 1; ; i++) {
          if (!bridges.has(`hako${i}`) && !this.linkExists(`hako${i}`)) {
            bridge = `hako${i}`;
            break;
          }
        }
      } else if (bridges.has(bridge)) {
        throw new HakoError(`bridge "${bridge}": already used by network "${existing.find((n) => n.bridge === bridge)!.name}"`);
      }
      const v6 = opts.ipv6 ? planSubnet6({ ...opts, bridge }, existing, this.hostRoutes6()) : {};
      const list = buildConfList({ name, bridge, subnet: formatCidr(subnet), gateway: formatIPv4(gateway), ipamDir: this.ipamDir, driver: opts.driver, ...v6 });
      if (opts.subnet !== undefined || opts.subnet6 !== undefined) list.hakoSubnetGiven = true;
      list.hakoId = randomHex(32);
      list.hakoCreated = new Date().toISOString();
      if (opts.labels && Object.keys(opts.labels).length) list.hakoLabels = opts.labels;
      if (opts.options && Object.keys(opts.options).length) list.hakoOptions = opts.options;
      this.write(list);
      return describeConfList(list, this.file(name));
    });
  }

  /** Containers holding a lease on the network: the host-wide plan of its bridge (bridge driver; every
   *  store's containers on that bridge), or host-local's lease files (cni). */
  users(name: string): NetworkUser[] {
    let info: NetworkInfo | undefined;
    try {
      info = this.inspect(name);
    } catch {
      /* gone: no users */
    }
    if (info?.driver === 'bridge') {
      return this.hostIpam.leases(info.bridge).map(({ ip, ip6, lease }) => ({
        containerId: lease.container,
        ifName: lease.ifName,
        ip,
        ...(ip6 ? { ip6 } : {}),
        ...(lease.name ? { name: lease.name } : {}),
      }));
    }
    const dir = path.join(this.ipamDir, name === 'bridge' ? DEFAULT_NETWORK : name);
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: NetworkUser[] = [];
    for (const ip of entries.sort()) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.includes(':')) continue; // lock, last_reserved_ip.0
      try {
        const [containerId = '', ifName = ''] = fs
          .readFileSync(path.join(dir, ip), 'utf8')
          .split(/\r?\n/)
          .map((s) => s.trim());
        out.push({ containerId, ifName, ip });
      } catch {
        /* released meanwhile */
      }
    }
    return out;
  }

  /** Deletes the network: its file, its IPAM state and its bridge. Refuses while containers use it. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (name === 'bridge') name = DEFAULT_NETWORK;
    const info = this.inspect(name);
    const users = this.users(name);
    if (users.length > 0 && !opts.force) {
      throw new HakoError(`network "${name}" is in use by ${users.map((u) => u.containerId).join(', ')} (detach them first)`);
    }
    this.lock(() => {
      if (info.file) fs.rmSync(info.file, { force: true });
      fs.rmSync(path.join(this.ipamDir, name), { recursive: true, force: true });
    });
    const shared = this.readAll().some((n) => n.bridge === info.bridge);
    if (shared) return;
    if (info.driver === 'cni') {
      await deleteBridge(info.bridge, this.executor);
      return;
    }
    // Containers of another store on the same bridge (the default network is every store's hako0):
    // this store's network is gone, the bridge stays theirs.
    // The bridge driver (netlink, firewall) is loaded here, not by every command that lists networks.
    if (this.hostIpam.leases(info.bridge).length > 0) return;
    const { removeBridgeNetwork } = await import('./driver/bridge.js');
    removeBridgeNetwork(info.bridge, this.hostIpam);
  }

  private write(list: ConfList): void {
    mkdirp(this.configDir, 0o755);
    const file = this.file(list.name);
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
}

// Function-style API over a store with the given (or default) directories.
export function createNetwork(
  name: string,
  opts: { subnet?: string; gateway?: string; bridge?: string; driver?: NetworkDriver } = {},
  store = new NetworkStore(),
): NetworkInfo {
  return store.create(name, opts);
}
export function listNetworks(store = new NetworkStore()): NetworkInfo[] {
  return store.list();
}
export function inspectNetwork(name: string, store = new NetworkStore()): NetworkInfo {
  return store.inspect(name);
}
export function removeNetwork(name: string, opts: { force?: boolean } = {}, store = new NetworkStore()): Promise<void> {
  return store.remove(name, opts);
}

/** `--network` names to network names: 'bridge' is the default network; 'none'/'host' stand alone. */
export function resolveNetworks(networks: string[]): { mode: 'host' | 'none' | 'networks'; names: string[] } {
  if (networks.length === 0) return { mode: 'networks', names: [DEFAULT_NETWORK] };
  for (const special of ['host', 'none'] as const) {
    if (networks.includes(special)) {
      if (networks.length > 1) throw new HakoError(`network "${special}" cannot be combined with other networks`);
      return { mode: special, names: [] };
    }
  }
  const names = networks.map((n) => (n === 'bridge' ? DEFAULT_NETWORK : n));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new HakoError(`network "${dup}" given twice`);
  return { mode: 'networks', names };
}
