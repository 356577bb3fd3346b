// One address plan per host: the bridge driver's leases and published ports, shared by every engine
// store (--root) and process, under /run/hako/networks (tmpfs: gone at reboot, as the bridges and the
// firewall table are). Files (JSON, rewritten whole by rename, all under one lock `.lock`):
//   <bridge>.json  {version, bridge, subnet, gateway, ready, leases: {IP: Lease}}
//   ports.json     {version, ports: {"PROTO/HOSTIP/PORT": PortOwner}}
// Keyed by bridge, the host-wide object a subnet belongs to: two stores' default networks are the
// same bridge hako0 and so draw from one plan. A lease (or port) whose network namespace pin is gone
// belongs to a container that no longer exists (its engine crashed, its store was deleted): it is
// reclaimed when seen.
import { readVersioned, type DocumentFormat } from '../../util/format-version.js';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../../util/errors.js';
import { withPidLock } from '../../util/pidlock.js';
import { contains, formatCidr, formatIPv4, hostRange, parseCidr, parseIPv4 } from '../ipnet.js';

export const DEFAULT_RUN_DIR = '/run/hako/networks';
const LOCK_TIMEOUT_MS = 180_000;

export interface Lease {
  container: string;
  ifName: string;
  /** The container's pinned network namespace: the lease lives as long as this file. */
  netns: string;
}

export interface NetworkPlanFile {
  version: 1;
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
}

export interface PortOwner {
  container: string;
  netns: string;
  name?: string;
  ip: string;
  port: number;
}
interface PortsFile {
  version: 1;
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
    writeJson(this.file(plan.bridge), plan);
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

  /** The plan of `bridge` (made if missing); refuses one whose subnet differs (another store's). */
  plan(net: { bridge: string; subnet: string; gateway: string }): NetworkPlanFile {
    const cur = this.read(net.bridge);
    if (cur && (cur.subnet !== net.subnet || cur.gateway !== net.gateway)) {
      if (Object.values(cur.leases).some(alive)) {
        throw new HakoError(
          `bridge "${net.bridge}": in use with subnet ${cur.subnet} (gateway ${cur.gateway}), not ${net.subnet}: another store has a network on it`,
        );
      }
      return fresh(net);
    }
    return cur ?? fresh(net);
  }

  /** The lowest free address of the plan for `lease` (caller holds the lock and writes the plan). */
  allocate(plan: NetworkPlanFile, lease: Lease): string {
    for (const [ip, l] of Object.entries(plan.leases)) if (!alive(l) || (l.container === lease.container && l.ifName === lease.ifName)) delete plan.leases[ip];
    const cidr = parseCidr(plan.subnet);
    const [first, last] = hostRange(cidr);
    const gw = parseIPv4(plan.gateway);
    const after = plan.last && contains(cidr, parseIPv4(plan.last)) ? parseIPv4(plan.last) : last;
    const count = last - first + 1;
    for (let i = 1; i <= count; i++) {
      const a = first + ((after - first + i) % count);
      const ip = formatIPv4(a);
      if (a === gw || plan.leases[ip]) continue;
      plan.leases[ip] = lease;
      plan.last = ip;
      return ip;
    }
    throw new HakoError(`no IP addresses available in ${formatCidr(cidr)} (bridge ${plan.bridge})`);
  }

  /** Drops the lease of (container, ifName) on `bridge`; returns the plan when it changed. */
  release(bridge: string, container: string, ifName: string): NetworkPlanFile | undefined {
    const plan = this.read(bridge);
    if (!plan) return undefined;
    const before = Object.keys(plan.leases).length;
    for (const [ip, l] of Object.entries(plan.leases)) if (l.container === container && l.ifName === ifName) delete plan.leases[ip];
    if (Object.keys(plan.leases).length === before) return undefined;
    this.write(plan);
    return plan;
  }

  /** Live leases of a bridge, stale ones left out. */
  leases(bridge: string): { ip: string; lease: Lease }[] {
    const plan = this.read(bridge);
    return plan
      ? Object.entries(plan.leases)
          .filter(([, l]) => alive(l))
          .map(([ip, lease]) => ({ ip, lease }))
      : [];
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
    writeJson(path.join(this.dir, 'ports.json'), { version: 1, ports } satisfies PortsFile);
  }
}

/** The host-wide plan and ports files (`version` 1). */
export const HOST_NETWORK_FORMAT: DocumentFormat = { what: 'hako network file', current: 1, key: 'version' };

function fresh(net: { bridge: string; subnet: string; gateway: string }): NetworkPlanFile {
  return { version: 1, bridge: net.bridge, subnet: net.subnet, gateway: net.gateway, ready: false, leases: {} };
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
