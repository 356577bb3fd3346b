// One address plan per host: the bridge driver's leases and published ports, shared by every engine
// store (--root) and process, under /run/hako/networks (tmpfs: gone at reboot, as the bridges and the
// firewall table are). Files (JSON, rewritten whole by rename, all under one lock `.lock`):
//   <bridge>.json  {version, bridge, subnet, gateway, ready, last, leases: {IP: Lease},
//                   and for dual stack (version 2) subnet6, gateway6, last6, leases6}
//   ports.json     {version, ports: {"PROTO/HOSTIP/PORT": PortOwner}} (version 2 with IPv6 ports)
// Keyed by bridge, the host-wide object a subnet belongs to: two stores' default networks are the
// same bridge hako0 and so draw from one plan. A lease (or port) whose network namespace pin is gone
// belongs to a container that no longer exists (its engine crashed, its store was deleted): it is
// reclaimed when seen.
import { readVersioned, type DocumentFormat } from '../../util/format-version.js';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../../util/errors.js';
import { withPidLock } from '../../util/pidlock.js';
import { formatCidr, formatIPv4, hostRange, parseCidr, parseIPv4 } from '../ipnet.js';
import { formatCidr6, formatIPv6, hostRange6, parseCidr6, parseIPv6 } from '../ipnet6.js';

export const DEFAULT_RUN_DIR = '/run/hako/networks';
const LOCK_TIMEOUT_MS = 180_000;

export interface Lease {
  container: string;
  ifName: string;
  /** The container's pinned network namespace: the lease lives as long as this file. */
  netns: string;
  /** The container's name, for "address already in use by container NAME". */
  name?: string;
}

export interface NetworkPlanFile {
  /** 1 for an IPv4-only plan (what hakos before IPv6 read and write), 2 with the IPv6 fields. */
  version: number;
  bridge: string;
  subnet: string;
  gateway: string;
  /** Bridge, gateway address, sysctls and firewall entries are in place (set by the driver). */
  ready: boolean;
  /** The address leased last: the next search starts after it (as host-local's), so an address is
   *  not handed out again right after its release, while the kernel may still be removing the old
   *  namespace and its veth. */
  last?: string;
  leases: Record<string, Lease>;
  /** IPv6 (version 2): a dual-stack network's second subnet, its gateway and leases. */
  subnet6?: string;
  gateway6?: string;
  last6?: string;
  leases6?: Record<string, Lease>;
}

/** What a plan is made from: the network's definition (networks.ts NetworkInfo). */
export interface PlanNetwork {
  bridge: string;
  subnet: string;
  gateway: string;
  subnet6?: string;
  gateway6?: string;
}

export interface PortOwner {
  container: string;
  netns: string;
  name?: string;
  /** The container's IPv4 address ('' when the port is IPv6 only). */
  ip: string;
  /** Its IPv6 address, for ports reachable over IPv6 (version 2 of the ports file). */
  ip6?: string;
  port: number;
}
interface PortsFile {
  version: number;
  ports: Record<string, PortOwner>;
}

export interface PortKey {
  protocol: string;
  hostIP: string;
  hostPort: number;
}
export const portKey = (p: PortKey): string => `${p.protocol}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`;

const alive = (l: { netns: string }): boolean => fs.existsSync(l.netns);

export class HostIpam {
  constructor(readonly dir = process.env.HAKO_NETWORK_RUN_DIR ?? DEFAULT_RUN_DIR) {}

  /** Runs fn under the host-wide lock (every change to leases, ports and the firewall). Sections
   *  are milliseconds, but 50 containers starting at once on a slow machine queue behind each other
   *  (seen: over 30 s in the emulated v2 VM), so the wait is long; a dead holder's lock is taken over. */
  locked<T>(fn: () => T): T {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    return withPidLock(path.join(this.dir, '.lock'), fn, LOCK_TIMEOUT_MS);
  }

  private file(bridge: string): string {
    return path.join(this.dir, `${bridge}.json`);
  }

  read(bridge: string): NetworkPlanFile | undefined {
    return readJson<NetworkPlanFile>(this.file(bridge));
  }

  write(plan: NetworkPlanFile): void {
    // An IPv4-only plan stays version 1, so that older hakos on the host keep reading it.
    writeJson(this.file(plan.bridge), { ...plan, version: plan.subnet6 ? 2 : 1 });
  }

  /** Every network plan on the host (for the firewall, which is one table for all of them). */
  all(): NetworkPlanFile[] {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir).filter((f) => f.endsWith('.json') && f !== 'ports.json');
    } catch {
      /* none yet */
    }
    return names.map((f) => readJson<NetworkPlanFile>(path.join(this.dir, f))).filter((p): p is NetworkPlanFile => !!p);
  }

  /** The plan of `bridge` (made if missing); refuses one whose subnets differ (another store's). */
  plan(net: PlanNetwork): NetworkPlanFile {
    const cur = this.read(net.bridge);
    const same = (p: NetworkPlanFile) => p.subnet === net.subnet && p.gateway === net.gateway && p.subnet6 === net.subnet6 && p.gateway6 === net.gateway6;
    if (cur && !same(cur)) {
      if ([...Object.values(cur.leases), ...Object.values(cur.leases6 ?? {})].some(alive)) {
        const v6 = (s?: string) => (s ? ` and ${s}` : '');
        throw new HakoError(
          `bridge "${net.bridge}": in use with subnet ${cur.subnet}${v6(cur.subnet6)} (gateway ${cur.gateway}), not ${net.subnet}${v6(net.subnet6)}: another store has a network on it`,
        );
      }
      return fresh(net);
    }
    return cur ?? fresh(net);
  }

  /** An IPv4 address of the plan for `lease`: `want` (--ip), else the next free one after the last
   *  leased (caller holds the lock and writes the plan). */
  allocate(plan: NetworkPlanFile, lease: Lease, want?: string): string {
    const cidr = parseCidr(plan.subnet);
    const [first, last] = hostRange(cidr);
    const ip = pick(plan.leases, lease, {
      first: BigInt(first),
      last: BigInt(last),
      gateway: BigInt(parseIPv4(plan.gateway)),
      after: plan.last,
      want,
      flag: '--ip',
      parse: (t) => BigInt(parseIPv4(t, '--ip')),
      format: (n) => formatIPv4(Number(n)),
      subnet: formatCidr(cidr),
      bridge: plan.bridge,
    });
    plan.last = ip;
    return ip;
  }

  /** The IPv6 address of a dual-stack plan for `lease` (`want`: --ip6); undefined without IPv6. */
  allocate6(plan: NetworkPlanFile, lease: Lease, want?: string): string | undefined {
    if (!plan.subnet6 || !plan.gateway6) {
      if (want) throw new HakoError(`--ip6 ${want}: the network has no IPv6 subnet (create it with --ipv6)`);
      return undefined;
    }
    const cidr = parseCidr6(plan.subnet6);
    const [first, last] = hostRange6(cidr);
    plan.leases6 ??= {};
    const ip = pick(plan.leases6, lease, {
      first,
      last,
      gateway: parseIPv6(plan.gateway6),
      after: plan.last6,
      want,
      flag: '--ip6',
      parse: (t) => parseIPv6(t, '--ip6'),
      format: formatIPv6,
      subnet: formatCidr6(cidr),
      bridge: plan.bridge,
    });
    plan.last6 = ip;
    return ip;
  }

  /** Drops the leases of (container, ifName) on `bridge`; returns the plan when it changed. */
  release(bridge: string, container: string, ifName: string): NetworkPlanFile | undefined {
    const plan = this.read(bridge);
    if (!plan) return undefined;
    let changed = false;
    for (const leases of [plan.leases, plan.leases6 ?? {}]) {
      for (const [ip, l] of Object.entries(leases)) {
        if (l.container !== container || l.ifName !== ifName) continue;
        delete leases[ip];
        changed = true;
      }
    }
    if (!changed) return undefined;
    this.write(plan);
    return plan;
  }

  /** Live leases of a bridge, stale ones left out; `ip6` is the same interface's IPv6 address. */
  leases(bridge: string): { ip: string; ip6?: string; lease: Lease }[] {
    const plan = this.read(bridge);
    if (!plan) return [];
    const v6 = new Map(Object.entries(plan.leases6 ?? {}).map(([ip, l]) => [`${l.container}/${l.ifName}`, ip]));
    return Object.entries(plan.leases)
      .filter(([, l]) => alive(l))
      .map(([ip, lease]) => {
        const ip6 = v6.get(`${lease.container}/${lease.ifName}`);
        return { ip, ...(ip6 ? { ip6 } : {}), lease };
      });
  }

  removePlan(bridge: string): void {
    fs.rmSync(this.file(bridge), { force: true });
  }

  /** Published ports of live containers; `stale` tells whether the file holds dead ones (reclaimed
   *  by the next writePorts, which must then also rewrite the firewall). */
  ports(): Record<string, PortOwner> {
    return this.portsWithStale().ports;
  }

  portsWithStale(): { ports: Record<string, PortOwner>; stale: boolean } {
    const f = readJson<PortsFile>(path.join(this.dir, 'ports.json'));
    const ports: Record<string, PortOwner> = {};
    let stale = false;
    for (const [k, o] of Object.entries(f?.ports ?? {})) {
      if (alive(o)) ports[k] = o;
      else stale = true;
    }
    return { ports, stale };
  }

  writePorts(ports: Record<string, PortOwner>): void {
    // Version 2 only once an IPv6 port is in it: older hakos keep reading an IPv4-only list.
    const v6 = Object.entries(ports).some(([k, o]) => o.ip6 || k.includes(':'));
    writeJson(path.join(this.dir, 'ports.json'), { version: v6 ? 2 : 1, ports } satisfies PortsFile);
  }
}

/** The host-wide plan and ports files: version 1 (IPv4 only) is read as it is; version 2 adds the
 *  optional IPv6 fields (subnet6, gateway6, last6, leases6; PortOwner.ip6, IPv6 host addresses). */
export const HOST_NETWORK_FORMAT: DocumentFormat = { what: 'hako network file', current: 2, key: 'version', migrations: { 1: (d) => d } };

function fresh(net: PlanNetwork): NetworkPlanFile {
  const v6 = net.subnet6 ? { subnet6: net.subnet6, gateway6: net.gateway6, leases6: {} } : {};
  return { version: net.subnet6 ? 2 : 1, bridge: net.bridge, subnet: net.subnet, gateway: net.gateway, ready: false, leases: {}, ...v6 };
}

interface PickRange {
  first: bigint;
  last: bigint;
  gateway: bigint;
  after?: string;
  want?: string;
  flag: string;
  parse: (text: string) => bigint;
  format: (n: bigint) => string;
  subnet: string;
  bridge: string;
}

/** Leases an address of [first, last] in `leases` (either family): the wanted one, refused when it
 *  is not a free host address, or round-robin after the last leased. Stale leases and this
 *  interface's own earlier lease are dropped first. */
function pick(leases: Record<string, Lease>, lease: Lease, r: PickRange): string {
  for (const [ip, l] of Object.entries(leases)) if (!alive(l) || (l.container === lease.container && l.ifName === lease.ifName)) delete leases[ip];
  if (r.want !== undefined) {
    const a = r.parse(r.want);
    const ip = r.format(a);
    if (a < r.first || a > r.last) throw new HakoError(`${r.flag} ${r.want}: not a host address of the network's subnet ${r.subnet}`);
    if (a === r.gateway) throw new HakoError(`${r.flag} ${r.want}: is the network's gateway`);
    const holder = leases[ip];
    if (holder) throw new HakoError(`${r.flag} ${r.want}: address already in use by container ${holder.name ?? holder.container.slice(0, 12)}`);
    leases[ip] = lease;
    return ip;
  }
  const count = r.last - r.first + 1n;
  let after = r.after ? tryParse(r.parse, r.after) : undefined;
  if (after === undefined || after < r.first || after > r.last) after = r.last;
  // Bounded: a huge IPv6 subnet is never full, so the search ends at the first free address.
  for (let i = 1n; i <= count; i++) {
    const a = r.first + ((after - r.first + i) % count);
    const ip = r.format(a);
    if (a === r.gateway || leases[ip]) continue;
    leases[ip] = lease;
    return ip;
  }
  throw new HakoError(`no IP addresses available in ${r.subnet} (bridge ${r.bridge})`);
}

function tryParse(parse: (t: string) => bigint, text: string): bigint | undefined {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HakoError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HakoError(`${file}: not a hako network file: ${(e as Error).message}`);
  }
  // Host-wide: every hako on the host reads these, so a newer one's file is refused by version.
  return readVersioned<T>(doc, file, HOST_NETWORK_FORMAT);
}

function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  fs.renameSync(tmp, file);
}
