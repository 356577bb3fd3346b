// The in-process bridge driver: what the CNI bridge, host-local, portmap and firewall plugins did, with
// the policy here and the kernel work as netlink messages (../netlink/) sent by `hako-init netlink`.
// Connecting a container (one spawn of hako-init when the network is ready):
//   host-wide lock: lease an address (ipam.ts); on the network's first use also the bridge with the
//   gateway address, ip_forward and route_localnet, and the firewall batch (firewall.ts); published
//   ports are checked against the host-wide port list and, if any, the firewall batch is written;
//   then, unlocked, one netlink batch: a veth pair whose host end is enslaved to the bridge, up, in
//   hairpin mode, and whose peer is made inside the container's namespace (IFLA_NET_NS_FD) with its
//   name, MAC (02:42 + the address, as docker's) and index, then set up with the address and the
//   default route. Disconnecting: RTM_DELLINK of the host end (the peer goes with it), then the lease
//   and ports released under the lock (a firewall batch only if ports were published).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import { trace } from '../../util/trace.js';
import { formatIPv4, parseCidr, size } from '../ipnet.js';
import { formatIPv6, parseCidr6, parseIPv6 } from '../ipnet6.js';
import { runNetlink, runNetlinkDetached } from '../netlink/exec.js';
import { setDriverNetns } from '../../native/modes.js';
import { defaultRoute, defaultRoute6, delLink, hairpin, linkUp, newAddr, newAddr6, newBridge, newVeth } from '../netlink/rtnl.js';
import { applyFirewall, type FirewallState } from './firewall.js';
import { HostIpam, portKey, type NetworkPlanFile, type PortOwner } from './ipam.js';

export interface BridgeNetwork {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  /** Dual stack: the IPv6 subnet and the bridge's IPv6 address. */
  subnet6?: string;
  gateway6?: string;
}

export interface PublishedPort {
  hostIP?: string;
  hostPort: number;
  containerPort: number;
  protocol?: string;
}

/** What the attachment record keeps of a bridge-driver connection: enough to undo it. */
export interface BridgeConnection {
  bridge: string;
  subnet: string;
  gateway: string;
  address: string;
  prefix: number;
  mac: string;
  hostIf: string;
  netns: string;
  ports: string[];
  /** Dual stack: the container's IPv6 address, its prefix, and the gateway. */
  address6?: string;
  prefix6?: number;
  gateway6?: string;
}

export interface ConnectOptions {
  containerId: string;
  netns: string;
  ifName: string;
  /** Position among the container's networks: its interface gets ifindex 2 + position. */
  position: number;
  ports?: PublishedPort[];
  /** For error messages naming who holds a port. */
  containerName?: string;
  ipam?: HostIpam;
  /** docker's --ip, --ip6 and --mac-address: this address (refused when taken), this MAC. */
  ip?: string;
  ip6?: string;
  mac?: string;
}

const macOf = (ip: string) =>
  `02:42:${ip
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join(':')}`;
const broadcast = (subnet: string) => {
  const c = parseCidr(subnet);
  return formatIPv4(c.base + size(c) - 1);
};

/** `veth` + 10 hex digits of the container and interface: the same name after a crash, so a
 *  leftover is found and replaced. */
export function hostIfName(containerId: string, ifName: string): string {
  return `veth${crypto.createHash('sha256').update(`${containerId}/${ifName}`).digest('hex').slice(0, 10)}`;
}

/** Rootless (useRootlessNetns): bridges and veths live in the user's rootless network namespace,
 *  which hako-init enters for every netlink batch. Neither the host's /sys/class/net nor its
 *  /proc/sys describe that namespace, and it has no firewall of ours: its holder turned forwarding,
 *  proxy ARP and route_localnet on, bridges get fixed indexes (made if missing, EEXIST is "made"),
 *  and published ports go through the user-mode tool's port forwarding (the engine's part). */
let rootlessNetns = false;

export function useRootlessNetns(ns: { userns: string; netns: string } | undefined): void {
  rootlessNetns = Boolean(ns);
  setDriverNetns(ns);
}

/** A rootless bridge's ifindex: hakoN -> 100+N (else a hash), far from the veths' random ones. */
export function rootlessBridgeIndex(bridge: string): number {
  const n = /^hako(\d{1,5})$/.exec(bridge);
  return 100 + (n ? Number(n[1]) : 100_000 + (crypto.createHash('sha256').update(bridge).digest().readUInt32LE(0) % 800_000));
}

function bridgeIndex(bridge: string): number {
  return rootlessNetns ? rootlessBridgeIndex(bridge) : Number(fs.readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8'));
}

function writeSysctl(file: string, value: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === value) return;
    fs.writeFileSync(file, value);
  } catch (e) {
    throw new HakoError(`sysctl ${file.replace('/proc/sys/', '').replace(/\//g, '.')}: cannot set to ${value}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

/** The whole firewall state of the host, from every network plan and the port list (caller holds
 *  the lock). Reconciles: a plan whose bridge is gone and that has no live lease is a removed
 *  network's (its store deleted, a crash between RTM_DELLINK and the plan's removal): it is deleted
 *  here, so that its subnet cannot stay in the firewall. */
export function firewallState(ipam: HostIpam): FirewallState {
  const plans = ipam.all().filter((p) => {
    if (fs.existsSync(`/sys/class/net/${p.bridge}`) || ipam.leases(p.bridge).length > 0) return true;
    ipam.removePlan(p.bridge);
    return false;
  });
  const subnets6 = plans.flatMap((p) => (p.subnet6 ? [p.subnet6] : []));
  return { subnets: plans.map((p) => p.subnet), ...(subnets6.length ? { subnets6 } : {}), ports: ipam.ports() };
}

/** Bridge up with the gateway address, forwarding on, loopback-sourced DNAT allowed (caller locks). */
function ensureBridge(plan: NetworkPlanFile): void {
  if (rootlessNetns) {
    const index = rootlessBridgeIndex(plan.bridge);
    const prefix = parseCidr(plan.subnet).prefix;
    runNetlink([
      newBridge(plan.bridge, macOf(plan.gateway), index),
      newAddr('host', index, plan.gateway, prefix, broadcast(plan.subnet), plan.bridge),
      linkUp('host', index, plan.bridge),
    ]);
    return;
  }
  if (!fs.existsSync(`/sys/class/net/${plan.bridge}`)) runNetlink([newBridge(plan.bridge, macOf(plan.gateway))]);
  else if (!fs.existsSync(`/sys/class/net/${plan.bridge}/bridge`)) throw new HakoError(`bridge "${plan.bridge}": a host device of that name is not a bridge`);
  const index = Number(fs.readFileSync(`/sys/class/net/${plan.bridge}/ifindex`, 'utf8'));
  const prefix = parseCidr(plan.subnet).prefix;
  const v6 = plan.subnet6 && plan.gateway6 ? ipv6Bridge(plan.bridge, index, plan.gateway6, parseCidr6(plan.subnet6).prefix) : [];
  runNetlink([newAddr('host', index, plan.gateway, prefix, broadcast(plan.subnet), plan.bridge), ...v6, linkUp('host', index, plan.bridge)]);
  writeSysctl('/proc/sys/net/ipv4/ip_forward', '1');
  writeSysctl(`/proc/sys/net/ipv4/conf/${plan.bridge}/route_localnet`, '1');
}

/** IPv6 on the bridge: on (a host may default it off), forwarding on, and the gateway address. */
function ipv6Bridge(bridge: string, index: number, gateway6: string, prefix6: number) {
  if (!fs.existsSync('/proc/sys/net/ipv6')) throw new HakoError('IPv6 is off in this kernel (no /proc/sys/net/ipv6): the network needs it (--ipv6)');
  writeSysctl(`/proc/sys/net/ipv6/conf/${bridge}/disable_ipv6`, '0');
  // As docker: forwarding on for all interfaces (a host that takes its own address from router
  // advertisements then wants accept_ra=2 on its uplink; see the README).
  writeSysctl('/proc/sys/net/ipv6/conf/all/forwarding', '1');
  return [newAddr6('host', index, gateway6, prefix6, bridge)];
}

interface Reserved {
  address: string;
  address6?: string;
  ports: string[];
}

/** Leases an address (and the ports) under the host-wide lock, setting the network up on first use. */
function reserve(net: BridgeNetwork, o: ConnectOptions, ipam: HostIpam): Reserved {
  return ipam.locked(() => {
    const plan = ipam.plan(net);
    const lease = { container: o.containerId, ifName: o.ifName, netns: o.netns, ...(o.containerName ? { name: o.containerName } : {}) };
    const address = ipam.allocate(plan, lease, o.ip);
    const address6 = ipam.allocate6(plan, lease, o.ip6);
    // Rootless, the namespace may have been made again since the plan was (its holder killed).
    let firewall = rootlessNetns || !plan.ready || !fs.existsSync(`/sys/class/net/${plan.bridge}`);
    if (firewall) ensureBridge(plan);
    plan.ready = true;
    const { ports: all, stale } = ipam.portsWithStale();
    if (stale) firewall = true; // a crashed container's ports: drop them now
    const keys = (o.ports ?? []).map((p) => publish(all, p, o, address, address6));
    ipam.write(plan);
    if (keys.length || stale) {
      ipam.writePorts(all);
      firewall = true;
    }
    if (firewall && !rootlessNetns) applyFirewall(firewallState(ipam));
    return { address, address6, ports: keys };
  });
}

/** Adds port `p` to the host-wide list `all` (refused when it clashes); returns its key. A port on
 *  all addresses reaches the container over IPv6 too when it has an IPv6 address (as docker's). */
function publish(all: Record<string, PortOwner>, p: PublishedPort, o: ConnectOptions, address: string, address6?: string): string {
  const hostIP = p.hostIP?.includes(':') ? formatIPv6(parseIPv6(p.hostIP, '--publish')) : (p.hostIP ?? '');
  const protocol = p.protocol ?? 'tcp';
  const key = portKey({ protocol, hostIP, hostPort: p.hostPort });
  const spec = `--publish ${hostIP ? `${hostIP.includes(':') ? `[${hostIP}]` : hostIP}:` : ''}${p.hostPort}/${protocol}`;
  // Linux drops packets from ::1 that leave lo (IPv6 has no route_localnet), so a DNAT of [::1]
  // could never answer: refused rather than published dead (docker publishes it through its proxy).
  if (hostIP === '::1')
    throw new HakoError(`${spec}: IPv6 loopback cannot be forwarded to a container (the kernel drops ::1 leaving lo); publish on [::] or a host IPv6 address`);
  if (hostIP.includes(':') && !address6) throw new HakoError(`${spec}: the container has no IPv6 address (its network was not created with --ipv6)`);
  const clash = Object.entries(all).find(([k]) => overlapsPort(k, key));
  if (clash) throw new HakoError(`${spec}: host port already in use by container ${clash[1].name ?? clash[1].container.slice(0, 12)}`);
  const v4 = hostIP.includes(':') ? '' : address;
  const v6 = hostIP.includes(':') || !hostIP ? address6 : undefined;
  all[key] = { container: o.containerId, netns: o.netns, name: o.containerName, ip: v4, ...(v6 ? { ip6: v6 } : {}), port: p.containerPort } satisfies PortOwner;
  return key;
}

/** Same protocol and port, and the same host address, or either one 0.0.0.0 (all addresses), or
 *  either one :: and the other an IPv6 address. */
function overlapsPort(a: string, b: string): boolean {
  const [pa, ia, na] = a.split('/');
  const [pb, ib, nb] = b.split('/');
  const all = (x: string, y: string) => x === '0.0.0.0' || (x === '::' && y.includes(':'));
  return pa === pb && na === nb && (ia === ib || all(ia, ib) || all(ib, ia));
}

export function connect(net: BridgeNetwork, o: ConnectOptions): BridgeConnection {
  const ipam = o.ipam ?? new HostIpam();
  let reserved: Reserved;
  try {
    reserved = reserve(net, o, ipam);
  } catch (e) {
    const msg = (e as Error).message;
    throw new HakoError(msg.startsWith('--') ? msg : `network "${net.name}": ${msg}`); // the user's flags, not the network's
  }
  const { address, address6, ports } = reserved;
  trace('network address leased');
  const prefix = parseCidr(net.subnet).prefix;
  const conn: BridgeConnection = {
    bridge: net.bridge,
    subnet: net.subnet,
    gateway: net.gateway,
    address,
    prefix,
    mac: o.mac ?? macOf(address),
    hostIf: hostIfName(o.containerId, o.ifName),
    netns: o.netns,
    ports,
    ...(address6 ? { address6, prefix6: parseCidr6(net.subnet6!).prefix, gateway6: net.gateway6 } : {}),
  };
  try {
    const master = bridgeIndex(net.bridge);
    const peerIndex = 2 + o.position;
    // The host end's index is ours to choose (the kernel honours the peer's only then); a clash
    // with an existing index is EEXIST, and another random one is tried.
    for (let attempt = 0; ; attempt++) {
      const hostIndex = 1_000_000 + crypto.randomInt(2 ** 31 - 2_000_000);
      try {
        runNetlink(
          [
            delLink(conn.hostIf),
            newVeth({ hostName: conn.hostIf, hostIndex, master, peerName: o.ifName, peerIndex, peerMac: conn.mac }),
            hairpin(hostIndex, conn.hostIf),
            linkUp('ns', peerIndex, o.ifName),
            newAddr('ns', peerIndex, address, prefix, broadcast(net.subnet), o.ifName),
            conn.address6 ? newAddr6('ns', peerIndex, conn.address6, conn.prefix6!, o.ifName) : undefined,
            defaultRouteFor(o.position, net.gateway),
            o.position === 0 && conn.gateway6 ? defaultRoute6(conn.gateway6) : undefined,
          ].filter((r): r is NonNullable<typeof r> => !!r),
          o.netns,
        );
        break;
      } catch (e) {
        if (attempt < 3 && /creating veth[^:]*: .*EEXIST/.test((e as Error).message)) continue;
        throw e;
      }
    }
  } catch (e) {
    disconnect(conn, o.containerId, o.ifName, { ipam });
    throw new HakoError(`network "${net.name}": ${(e as Error).message}`);
  }
  return conn;
}

/** Only the first network gives the default route (as docker: one default gateway). */
function defaultRouteFor(position: number, gateway: string) {
  return position === 0 ? defaultRoute(gateway) : undefined;
}

/** Undoes connect: lease and ports (every port the container holds, so a connection rebuilt without
 *  its record releases them too), then the veth (a missing one is fine). With `background`, the veth
 *  is deleted by a detached hako-init: the caller unpins the namespace, which removes the pair too,
 *  and neither waits for the kernel's RCU grace periods. Idempotent. */
export function disconnect(
  conn: Pick<BridgeConnection, 'bridge' | 'hostIf'> & { address?: string },
  containerId: string,
  ifName: string,
  opts: { ipam?: HostIpam; background?: boolean } = {},
): void {
  const ipam = opts.ipam ?? new HostIpam();
  ipam.locked(() => {
    ipam.release(conn.bridge, containerId, ifName);
    const { ports: all, stale } = ipam.portsWithStale();
    // Only the ports that lead to this connection's address when it is known: a running
    // container disconnected from its second network keeps the ports of its first.
    const mine = Object.keys(all).filter((k) => all[k].container === containerId && (!conn.address || all[k].ip === conn.address));
    if (mine.length === 0 && !stale) return;
    for (const k of mine) delete all[k];
    ipam.writePorts(all);
    if (!rootlessNetns) applyFirewall(firewallState(ipam));
  });
  trace('network address released');
  if (opts.background) runNetlinkDetached([delLink(conn.hostIf)], ipam.dir);
  else runNetlink([delLink(conn.hostIf)]);
}

/** After `network rm`: the bridge (only without ports), the plan, and the subnet's firewall entries. */
export function removeBridgeNetwork(bridge: string, ipam = new HostIpam()): void {
  ipam.locked(() => {
    const plan = ipam.read(bridge);
    // An ordinary user's bridges are in its rootless network namespace, never the host's (a host
    // bridge of the same name is root's): deleted there, or gone with it.
    const own = process.geteuid?.() === 0;
    if (!own && rootlessNetns) runNetlink([delLink(bridge)]);
    if (own && fs.existsSync(`/sys/class/net/${bridge}`)) {
      if (!fs.existsSync(`/sys/class/net/${bridge}/bridge`))
        throw new HakoError(`bridge "${bridge}": the host device of that name is not a bridge; left alone`);
      const ports = fs.readdirSync(`/sys/class/net/${bridge}/brif`);
      if (ports.length) throw new HakoError(`bridge "${bridge}": still has ports ${ports.join(', ')}; left alone`);
      runNetlink([delLink(bridge)]);
    }
    if (plan) {
      ipam.removePlan(bridge);
      if (own) applyFirewall(firewallState(ipam));
    }
  });
}
