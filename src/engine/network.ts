// The engine's side of container networking (the CNI work itself is src/network/). Modes of --network:
//   host            no network namespace: the host's network, /etc/hosts and resolv.conf copied;
//   none            its own namespace with only lo, made and brought up by the OCI runtime (no pin:
//                   two helper runs fewer per container; `container:` joins it through /proc/PID);
//   bridge (default) = the default network `hako` (written on first use); NAME = that network.
// Every container on a network gets a *pinned* namespace, as podman does: `hako-init netns-create` binds
// a fresh netns onto <netns dir>/<id> (Node can neither unshare nor mount), CNI plugins enter it by
// that path and the runtime joins it (`{type: network, path}` in config.json). The pin outlives the
// container's processes, so a restart keeps its address and DEL always finds the namespace.
// Lifetime: set up at start (like docker: `create` allocates no address), torn down when the
// container exits without being restarted, and on rm. Crash safety: the attachment record
// (<container dir>/network-record.json, src/network/attach.ts) lets a later `ps`/`rm`/`start` replay
// DEL for a container whose monitor died; `network.json` keeps what inspect shows.
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { readVersioned, stampVersion, type DocumentFormat } from '../util/format-version.js';
import { netnsCreate as nativeNetnsCreate, netnsDelete as nativeNetnsDelete } from '../native/modes.js';
import {
  SLIRP_DNS,
  HostIpam,
  NetworkStore,
  attach,
  attachAnother,
  cleanupStale,
  detach,
  checkHostPort,
  hostsFile,
  writeNetworkFiles,
  resolveNetworks,
  checkUserModePorts,
  useRootlessNetns,
  type HostEntry,
} from '../network/index.js';
import { DEFAULT_ENGINE_ROOT } from './store.js';
import { isRootless, sharedPause } from './rootless.js';
import { pauseDir } from './rootless-pause.js';
import { ensureNetnsTool, publishTo, unpublish } from './rootless-netns.js';
import { checkUserMode, rootlessNetworkTool, startForContainer, stopForContainer, userModeDir } from './network-rootless.js';
import { trace } from '../util/trace.js';
import type { Mount } from '../oci/types.js';
import type { PortMapping } from './types.js';

/** network.json, what inspect shows of a container's network. */
export const NETWORK_STATE_FORMAT: DocumentFormat = { what: 'container network state', current: 1 };

/** The network a container gets without --network (docker's `bridge`, i.e. the network `hako`). */
export const DEFAULT_NETWORK = 'bridge';
/** Where pins of the default root live (tmpfs, like `ip netns`'s /run/netns). */
export const DEFAULT_NETNS_DIR = '/run/hako/netns';
/** The host address that -P (publish all) binds random ports to. docker uses 0.0.0.0; we do not
 *  expose a container to the whole network unless asked for (`-p 0.0.0.0::80`). */
export const PUBLISH_ALL_HOST_IP = '127.0.0.1';

export interface NetworkPlan {
  mode: 'host' | 'none' | 'networks' | 'container' | 'usermode';
  /** usermode (rootless): the tool asked for (--network pasta|slirp4netns); else the first installed. */
  tool?: string;
  /** Network names (bridge resolved to the default network); empty for host/none/container. */
  names: string[];
  /** --network container:REF: the container whose namespace is joined (id and directory when
   *  resolved by the engine; REF alone for inspect). */
  joined?: { ref: string; id?: string; dir?: string; running?: boolean };
}

/** Finds the container of `--network container:REF` (throws when there is none). */
export type JoinLookup = (ref: string) => { id: string; dir: string; running: boolean };

/** What a set-up container's network looks like (`<container dir>/network.json`; inspect reads it). */
export interface NetworkState {
  mode: NetworkPlan['mode'];
  netns: string;
  hostname: string;
  aliases: string[];
  /** --add-host entries (host-gateway resolved), kept for rewrites of /etc/hosts. */
  extraHosts?: HostEntry[];
  /** ips and addresses: IPv4 first, then IPv6 on dual-stack networks (gateway6). */
  networks: { name: string; ifName: string; addresses: string[]; ips: string[]; gateway?: string; gateway6?: string; mac?: string }[];
  /** The mappings in effect, host ports chosen. */
  ports: PortMapping[];
  /** usermode (rootless): the tool, and once it runs its pid (with start time) and the addresses. */
  userMode?: { tool: string; pid?: number; startTime?: string; ip?: string; gateway?: string };
  /** networks (rootless): attached once the runtime made the namespace (attachRootless); until
   *  then the networks and the names the name files are written with. */
  pending?: { networks: string[]; names: NetworkNames };
}

/** The network store of an engine root: the system's for the default root, a private one otherwise
 *  (so a test root keeps its networks and leases to itself). */
export function networkStoreFor(root: string): NetworkStore {
  if (root === DEFAULT_ENGINE_ROOT) return new NetworkStore();
  // Rootless, /run/hako is not ours, and the host's bridges are not the user's networks: the
  // address plan is the store's own.
  const hostIpam = isRootless() ? new HostIpam(path.join(root, 'networks', 'run')) : undefined;
  return new NetworkStore({ configDir: path.join(root, 'networks'), ipamDir: path.join(root, 'networks', 'ipam'), hostIpam });
}

export function netnsDirFor(root: string): string {
  return root === DEFAULT_ENGINE_ROOT ? DEFAULT_NETNS_DIR : path.join(root, 'netns');
}

/** Checks --network/-p before anything is created. With a store, named networks must exist. */
export function planNetwork(network: string, publish: PortMapping[], store?: NetworkStore, lookup?: JoinLookup): NetworkPlan {
  const given = network || DEFAULT_NETWORK;
  const userMode = isRootless() ? rootlessNetworkTool(network) : undefined;
  if (userMode) return { mode: 'usermode', names: [], tool: userMode.tool };
  if (given.startsWith('container:')) {
    const ref = given.slice('container:'.length);
    if (!ref) throw new HakoError(`--network ${given}: names no container (container:NAME)`);
    if (publish.length) throw new HakoError(`--publish: conflicts with --network ${given} (the ports are that container's)`);
    return { mode: 'container', names: [], joined: { ref, ...(lookup ? lookup(ref) : {}) } };
  }
  let resolved: ReturnType<typeof resolveNetworks>;
  try {
    resolved = resolveNetworks(given.split(','));
  } catch (e) {
    throw new HakoError(`--network ${given}: ${(e as Error).message}`);
  }
  if (resolved.mode === 'host') {
    if (publish.length) process.stderr.write('hako: warning: published ports are discarded when using host network mode\n');
    return { mode: 'host', names: [] };
  }
  if (resolved.mode === 'none') {
    if (publish.length) throw new HakoError('--publish needs a network with port mapping, not --network none');
    return { mode: 'none', names: [] };
  }
  if (store) {
    for (const n of resolved.names) {
      try {
        store.inspect(n);
      } catch {
        throw new HakoError(`--network ${n}: network not found (see hako network ls)`);
      }
    }
  }
  return resolved;
}

type FileMount = Mount & { source: string };

/** Writes /etc/hosts, /etc/hostname and /etc/resolv.conf into `dir` and returns the bind mounts that
 *  put them in place. For own namespaces these are placeholders until the start fills in addresses
 *  (rewritten in place, so the mounts stay valid). */
export function networkFiles(plan: NetworkPlan, dir: string, hostname: string, names: NetworkNames = {}): FileMount[] {
  fs.mkdirSync(dir, { recursive: true });
  if (plan.mode === 'container' && plan.joined?.dir) {
    // The joined container's name files, shared as docker shares them; the host name is our own.
    fs.writeFileSync(path.join(dir, 'hostname'), `${hostname}\n`);
    const theirs = path.join(plan.joined.dir, 'etc');
    return [
      ['hosts', theirs],
      ['hostname', dir],
      ['resolv.conf', theirs],
    ].map(([f, d]) => ({
      destination: `/etc/${f}`,
      type: 'bind',
      source: path.join(d, f),
      options: ['rbind', 'rprivate'],
    }));
  }
  if (plan.mode === 'host') {
    const extra = (names.addHosts ?? []).map((h) => `${h.ip === 'host-gateway' ? '127.0.0.1' : h.ip}\t${h.name}\n`).join('');
    fs.writeFileSync(path.join(dir, 'hosts'), readOr('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n`) + extra);
    fs.writeFileSync(path.join(dir, 'hostname'), `${hostname}\n`);
    fs.writeFileSync(path.join(dir, 'resolv.conf'), readOr('/etc/resolv.conf', ''));
  } else {
    writeNetworkFiles(dir, { hostname, ips: [] });
  }
  return ['hosts', 'hostname', 'resolv.conf'].map((f) => ({
    destination: `/etc/${f}`,
    type: 'bind',
    source: path.join(dir, f),
    options: ['rbind', 'rprivate'],
  }));
}

/** Image ExposedPorts keys ("80/tcp", "53/udp", "8080") -> mappings to random ports (-P). */
export function exposedMappings(exposed: string[]): PortMapping[] {
  return exposed.map((k) => {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(k);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new HakoError(`image ExposedPorts: "${k}" is not PORT[/tcp|udp|sctp]`);
    return { hostIP: PUBLISH_ALL_HOST_IP, hostPort: 0, containerPort: Number(m[1]), protocol: (m[2] ?? 'tcp') as PortMapping['protocol'] };
  });
}

/** A port the kernel calls free on `ip` right now (bind to port 0, read it back, close). */
async function freePort(ip: string, protocol: PortMapping['protocol']): Promise<number> {
  const host = ip || '0.0.0.0';
  if (protocol === 'udp') {
    const s = process.getBuiltinModule('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4'); // loaded on first use, as net
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, host, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const s = process.getBuiltinModule('node:net').createServer();
    s.once('error', (e) => reject(new HakoError(`--publish: no free port on ${host}: ${(e as Error).message}`)));
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The mappings with host ports checked free, and 0 replaced by a free one. */
async function choosePorts(publish: PortMapping[]): Promise<PortMapping[]> {
  const ports: PortMapping[] = [];
  for (const p of publish) {
    if (p.hostPort) await checkHostPort(p.hostIP, p.hostPort, p.protocol ?? 'tcp');
    ports.push({ ...p, hostPort: p.hostPort || (await freePort(p.hostIP, p.protocol)) });
  }
  return ports;
}

/** The container's own words for its name files: --add-host, --dns*, --network-alias. */
export interface NetworkNames {
  // (RunOptions' fields of the same names)
  addHosts?: { name: string; ip: string }[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  networkAliases?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
}

/** Refuses what a plan cannot honour, before anything is created: --dns* with the host's network. */
export function checkNetworkNames(plan: NetworkPlan, names: NetworkNames): void {
  if (plan.mode === 'container') {
    const flag = names.addHosts?.length
      ? 'add-host'
      : names.dns?.length
        ? 'dns'
        : names.dnsSearch?.length
          ? 'dns-search'
          : names.dnsOptions?.length
            ? 'dns-option'
            : names.networkAliases?.length
              ? 'network-alias'
              : '';
    if (flag) throw new HakoError(`--${flag}: conflicts with --network container:${plan.joined?.ref} (its name files are that container's)`);
    return;
  }
  if (plan.mode !== 'host') return;
  const dnsFlag = names.dns?.length ? 'dns' : names.dnsSearch?.length ? 'dns-search' : names.dnsOptions?.length ? 'dns-option' : '';
  if (dnsFlag) throw new HakoError(`--${dnsFlag}: conflicts with --network host (the host's resolv.conf is used)`);
  if (names.networkAliases?.length) throw new HakoError('--network-alias: needs a network (not --network host)');
}

/** Everything a container's networking needs to know about the engine around it. */
export interface NetworkContext {
  id: string;
  name: string;
  hostname: string;
  /** The container's directory: records and the files directory `etc/` live here. */
  dir: string;
  plan: NetworkPlan;
  /** -p mappings (host port 0: a random one) and -P mappings. */
  publish: PortMapping[];
  names?: NetworkNames;
}

/** Container id -> its name and directory, for peers' /etc/hosts; undefined if not ours. */
export type PeerLookup = (id: string) => { name: string; dir: string } | undefined;

export class ContainerNetworks {
  readonly store: NetworkStore;
  readonly netnsDir: string;

  constructor(
    readonly root: string,
    private readonly peers: PeerLookup,
    store?: NetworkStore,
  ) {
    this.store = store ?? networkStoreFor(root);
    this.netnsDir = netnsDirFor(root);
  }

  pin(id: string): string {
    return path.join(this.netnsDir, id);
  }
  static recordPath(dir: string): string {
    return path.join(dir, 'network-record.json');
  }
  static statePath(dir: string): string {
    return path.join(dir, 'network.json');
  }

  /** The runtime's network namespace for a plan (for `container:`, a placeholder at create: the
   *  path is found at each start by namespace-join.ts, as for the container's own pin). */
  specNetns(plan: NetworkPlan, id: string): 'host' | 'new' | { path: string } {
    if (plan.mode === 'container') return { path: this.pin(plan.joined!.id!) };
    // Rootless, no pin (that needs a mount namespace we do not have): the runtime makes the
    // namespace in the shared user namespace, and it is attached once it exists.
    if (plan.mode === 'none' || plan.mode === 'usermode' || (plan.mode === 'networks' && isRootless())) return 'new';
    return plan.mode === 'host' ? 'host' : { path: this.pin(id) };
  }

  state(dir: string): NetworkState | undefined {
    const file = ContainerNetworks.statePath(dir);
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
    return readVersioned<NetworkState>(doc, file, NETWORK_STATE_FORMAT);
  }

  /** True when something of a set-up network exists (pin, record or state): tearDown has work. */
  hasResources(id: string, dir: string): boolean {
    return fs.existsSync(this.pin(id)) || fs.existsSync(ContainerNetworks.recordPath(dir)) || fs.existsSync(ContainerNetworks.statePath(dir));
  }

  /**
   * Before the container's process starts: pin a namespace, attach it, write the files. Already set
   * up (a restart) is kept. Leftovers of a crash are torn down first. On failure nothing is left.
   */
  async setUp(c: NetworkContext): Promise<void> {
    if (c.plan.mode === 'host') return;
    // Nothing of our own: the namespace joined was found by namespace-join.ts before we were called.
    if (c.plan.mode === 'container') return;
    trace('network set-up begins');
    if (c.plan.mode === 'usermode') return this.setUpUserMode(c);
    if (c.plan.mode === 'none') {
      // The runtime makes the namespace and brings lo up; only the name files are ours.
      this.writeState(c, {
        mode: 'none',
        netns: '',
        hostname: c.hostname,
        aliases: [c.name],
        ports: [],
        networks: [],
        extraHosts: this.extraHosts(c, undefined),
      });
      return;
    }
    if (isRootless()) return this.setUpRootless(c);
    const pin = this.pin(c.id);
    if (this.state(c.dir) && fs.existsSync(pin) && fs.existsSync(ContainerNetworks.recordPath(c.dir))) return;
    if (this.hasResources(c.id, c.dir)) await this.tearDown(c.id, c.dir);
    const ports = await choosePorts(c.publish);
    fs.mkdirSync(this.netnsDir, { recursive: true, mode: 0o755 });
    netnsCreate(pin);
    trace('network namespace pinned');
    try {
      const attachments = await attach(c.id, pin, c.plan.names, {
        portMappings: ports.map((p) => ({ hostIP: p.hostIP || undefined, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol })),
        recordPath: ContainerNetworks.recordPath(c.dir),
        aliases: [c.name, ...(c.names?.networkAliases ?? [])],
        store: this.store,
        loopbackUp: true, // netns-create brought lo up
        containerName: c.name,
        ip: c.names?.ip,
        ip6: c.names?.ip6,
        mac: c.names?.macAddress,
      });
      trace('network attached');
      this.writeState(c, {
        mode: c.plan.mode,
        netns: pin,
        hostname: c.hostname,
        aliases: [c.name, ...(c.names?.networkAliases ?? [])],
        ports,
        networks: attachments.map((a) => ({
          name: a.network,
          ifName: a.ifName,
          addresses: a.addresses,
          ips: a.ips,
          gateway: a.gateway,
          ...(a.gateway6 ? { gateway6: a.gateway6 } : {}),
          mac: a.mac,
        })),
        extraHosts: this.extraHosts(c, attachments[0]?.gateway),
      });
    } catch (e) {
      await this.tearDown(c.id, c.dir).catch(() => {});
      throw e;
    }
  }

  /** `network connect` of a running container: one more interface in its pinned namespace, its
   *  /etc/hosts and its peers' rewritten, network.json extended (caller holds the container's lock). */
  async connectRunning(c: NetworkContext, network: string, aliases: string[] = []): Promise<void> {
    const st = this.runningState(c, 'connected to other networks');
    st.aliases = [...new Set([...st.aliases, ...aliases])];
    const a = await attachAnother(c.id, this.pin(c.id), network, {
      recordPath: ContainerNetworks.recordPath(c.dir),
      aliases: st.aliases,
      store: this.store,
      containerName: c.name,
    });
    st.networks.push({ name: a.network, ifName: a.ifName, addresses: a.addresses, ips: a.ips, gateway: a.gateway, mac: a.mac });
    this.writeState(c, st);
  }

  /** `network disconnect` of a running container: the interface and its address go (and the ports,
   *  when they led to it: they are the first network's), name files rewritten. */
  async disconnectRunning(c: NetworkContext, network: string): Promise<void> {
    const st = this.runningState(c, 'disconnected from its network');
    const i = st.networks.findIndex((n) => n.name === network);
    if (i < 0) throw new HakoError(`container ${c.id} is not connected to network ${network}`);
    await detach(c.id, this.pin(c.id), [network], { recordPath: ContainerNetworks.recordPath(c.dir), store: this.store });
    const ports = i === 0 ? [] : st.ports;
    this.writeState(c, { ...st, ports, networks: st.networks.filter((_, k) => k !== i) });
    // (the peers that shared only this network are rewritten too: writeState refreshes those of
    // the networks left, so the old one's members are done here)
    this.store.hostIpam.locked(() => this.refreshPeers(c.id, { ...st, networks: [st.networks[i]] }));
  }

  /** network.json of a running container whose namespace is its own pin; else one line why not. */
  private runningState(c: NetworkContext, what: string): NetworkState {
    const st = this.state(c.dir);
    if (st?.mode !== 'networks' || !fs.existsSync(this.pin(c.id)))
      throw new HakoError(`container ${c.name}: network mode ${st?.mode ?? c.plan.mode} cannot be ${what} while it runs`);
    return st!;
  }

  /** Rootless: ports chosen and the name files written now; the tool starts once the runtime has
   *  made the namespace (startUserMode). A restart gets a new namespace: the old tool goes first. */
  private async setUpUserMode(c: NetworkContext): Promise<void> {
    if (this.hasResources(c.id, c.dir)) await this.tearDown(c.id, c.dir);
    const tool = checkUserMode(c.plan.tool, c.publish);
    const ports = await choosePorts(c.publish);
    const dns = c.names?.dns?.length ? c.names.dns : tool === 'slirp4netns' ? [SLIRP_DNS] : undefined;
    this.writeState(
      c,
      {
        mode: 'usermode',
        netns: '',
        hostname: c.hostname,
        aliases: [c.name],
        ports,
        networks: [],
        extraHosts: this.extraHosts(c, undefined),
        userMode: { tool },
      },
      dns,
    );
  }

  /** Rootless on user-defined networks: ports chosen and the name files written now; the attachment
   *  follows once the runtime has made the namespace (attachRootless). */
  private async setUpRootless(c: NetworkContext): Promise<void> {
    if (this.hasResources(c.id, c.dir)) await this.tearDown(c.id, c.dir);
    const ports = await choosePorts(c.publish);
    checkUserModePorts(ports.map((p) => ({ ...p, protocol: p.protocol ?? 'tcp' })));
    const aliases = [c.name, ...(c.names?.networkAliases ?? [])];
    this.writeState(c, {
      mode: 'networks',
      netns: '',
      hostname: c.hostname,
      aliases,
      ports,
      networks: [],
      pending: { networks: c.plan.names, names: { ...c.names } },
      extraHosts: this.extraHosts(c, undefined),
    });
  }

  /** Rootless: attaches the created container `pid` to its networks in the rootless network
   *  namespace, publishes its ports there, and writes the name files with its addresses. */
  private async attachRootless(id: string, dir: string, pid: number, st: NetworkState, pending: NonNullable<NetworkState['pending']>): Promise<void> {
    const names = pending.networks;
    const holder = await sharedPause();
    useRootlessNetns(holder);
    const runDir = pauseDir();
    const socket = await ensureNetnsTool(runDir, holder);
    const c: NetworkContext = {
      id,
      dir,
      name: st.aliases[0],
      hostname: st.hostname,
      plan: { mode: 'networks', names },
      publish: st.ports,
      names: pending.names,
    };
    try {
      const attachments = await attach(id, `/proc/${pid}/ns/net`, names, {
        portMappings: st.ports.map((p) => ({ hostIP: p.hostIP || undefined, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol })),
        recordPath: ContainerNetworks.recordPath(dir),
        aliases: st.aliases,
        store: this.store,
        loopbackUp: true, // the runtime brings lo up in a namespace it makes
        containerName: c.name,
      });
      const { pending: _, ...rest } = st;
      this.writeState(c, {
        ...rest,
        netns: `/proc/${pid}/ns/net`,
        networks: attachments.map((a) => ({ name: a.network, ifName: a.ifName, addresses: a.addresses, ips: a.ips, gateway: a.gateway, mac: a.mac })),
        extraHosts: this.extraHosts(c, attachments[0]?.gateway),
      });
      const address = attachments[0]?.ips[0];
      if (address)
        await publishTo(
          socket,
          st.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'tcp' })),
          address,
        );
    } catch (e) {
      await this.tearDown(id, dir).catch(() => {});
      throw e;
    }
  }

  /** Rootless: starts the user-mode tool on the created container `pid` (before its process runs),
   *  or attaches it to its user-defined networks. */
  async startUserMode(id: string, dir: string, pid: number): Promise<void> {
    const st = this.state(dir);
    if (st?.mode === 'networks' && st.pending && isRootless()) return this.attachRootless(id, dir, pid, st, st.pending);
    if (st?.mode !== 'usermode' || !st.userMode || st.userMode.pid) return;
    trace('user-mode network starts');
    const net = await startForContainer(userModeDir(this.root, id), pid, st.ports, st.userMode.tool);
    st.userMode = { tool: net.tool, pid: net.pid, startTime: net.startTime, ip: net.ip, gateway: net.gateway };
    fs.writeFileSync(ContainerNetworks.statePath(dir), JSON.stringify(stampVersion(st, NETWORK_STATE_FORMAT), null, 2));
    trace('user-mode network started');
  }

  /** --add-host entries; host-gateway is the host's address on the container's first network (its
   *  gateway), as docker's, or 127.0.0.1 without one. */
  private extraHosts(c: NetworkContext, gateway: string | undefined): NetworkState['extraHosts'] {
    return (c.names?.addHosts ?? []).map((h) => ({ ip: h.ip === 'host-gateway' ? (gateway ?? '127.0.0.1') : h.ip, names: [h.name] }));
  }

  /** Writes network.json and the name files (/etc/hosts, hostname, resolv.conf) of a set-up network. */
  private writeState(c: NetworkContext, st: NetworkState, dns = c.names?.dns): void {
    fs.writeFileSync(ContainerNetworks.statePath(c.dir), JSON.stringify(stampVersion(st, NETWORK_STATE_FORMAT), null, 2));
    // Under the host-wide lock, so of two containers starting at once the later writer of a peer's
    // hosts file saw both leases.
    this.store.hostIpam.locked(() => {
      writeNetworkFiles(path.join(c.dir, 'etc'), {
        hostname: c.hostname,
        ips: ips(st),
        aliases: st.aliases,
        peers: this.peerEntries(c.id, st),
        extraHosts: st.extraHosts,
        resolv: { dns, search: nonEmpty(c.names?.dnsSearch), options: nonEmpty(c.names?.dnsOptions) },
      });
      this.refreshPeers(c.id, st);
    });
  }

  /** DEL for everything in the record, then the pin, then the state; idempotent. Throws (after doing
   *  all it can) when DEL failed: the record is kept for another try. */
  async tearDown(id: string, dir: string): Promise<void> {
    trace('network teardown begins');
    const st = this.state(dir);
    let failure: unknown;
    if (st?.mode === 'usermode') stopForContainer(userModeDir(this.root, id), st.userMode);
    if (st?.mode === 'networks' && isRootless()) await this.detachRootless(st);
    try {
      await cleanupStale(ContainerNetworks.recordPath(dir), { background: true, ipam: this.store.hostIpam });
      trace('network detached');
    } catch (e) {
      failure = e;
    }
    try {
      netnsDelete(this.pin(id));
      trace('network namespace unpinned');
    } catch (e) {
      failure ??= e;
    }
    fs.rmSync(ContainerNetworks.statePath(dir), { force: true });
    if (st) this.store.hostIpam.locked(() => this.refreshPeers(id, st));
    if (failure) throw failure;
  }

  /** Rootless: the ports withdrawn from the namespace's tool; the driver's batches go there. */
  private async detachRootless(st: NetworkState): Promise<void> {
    const holder = await sharedPause();
    useRootlessNetns(holder);
    await unpublish(pauseDir(), ips(st));
  }

  /** Other containers with a lease on the networks of `st`, by name. */
  private peerEntries(self: string, st: NetworkState): HostEntry[] {
    const out: HostEntry[] = [];
    for (const n of st.networks) {
      for (const u of this.store.users(n.name)) {
        if (u.containerId === self) continue;
        const peer = this.peers(u.containerId);
        if (!peer) continue;
        const names = this.state(peer.dir)?.aliases ?? [peer.name];
        out.push({ ip: u.ip, names });
        if (u.ip6) out.push({ ip: u.ip6, names }); // AAAA through /etc/hosts, as docker's DNS answers
      }
    }
    return out;
  }

  /** Rewrites (in place: the bind mount follows the inode) the /etc/hosts of every container sharing
   *  a network with `st`, so names of containers that came or went resolve as they are now. */
  private refreshPeers(self: string, st: NetworkState): void {
    const seen = new Set<string>([self]);
    for (const n of st.networks) {
      for (const u of this.store.users(n.name)) {
        if (seen.has(u.containerId)) continue;
        seen.add(u.containerId);
        const peer = this.peers(u.containerId);
        const pst = peer && this.state(peer.dir);
        if (!peer || !pst) continue;
        try {
          fs.writeFileSync(
            path.join(peer.dir, 'etc', 'hosts'),
            hostsFile({ hostname: pst.hostname, ips: ips(pst), aliases: pst.aliases, peers: this.peerEntries(u.containerId, pst), extraHosts: pst.extraHosts }),
          );
        } catch {
          /* the peer is being removed */
        }
      }
    }
  }
}

/** An empty list means "not given" (the host's search domains and options stay). */
function nonEmpty(list: string[] | undefined): string[] | undefined {
  return list?.length ? list : undefined;
}

function ips(st: NetworkState): string[] {
  return st.networks.flatMap((n) => n.ips);
}

/** docker's NetworkSettings for inspect; empty values while not set up. */
export function networkSettings(st: NetworkState | undefined, plan: NetworkPlan): Record<string, unknown> {
  const first = st?.networks[0];
  const prefix = (a?: string) => (a ? Number(a.split('/')[1]) : 0);
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of st?.ports ?? []) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIP || '0.0.0.0', HostPort: String(p.hostPort) });
  const networks: Record<string, unknown> = {};
  const v6 = (n?: NetworkState['networks'][number]) => {
    const a = n?.addresses.find((x) => x.includes(':'));
    return { GlobalIPv6Address: a?.split('/')[0] ?? '', GlobalIPv6PrefixLen: prefix(a), IPv6Gateway: n?.gateway6 ?? '' };
  };
  for (const n of st?.networks ?? []) {
    networks[n.name] = {
      Aliases: st!.aliases,
      IPAddress: n.ips[0] ?? '',
      IPPrefixLen: prefix(n.addresses[0]),
      Gateway: n.gateway ?? '',
      ...v6(n),
      MacAddress: n.mac ?? '',
    };
  }
  if (!st && plan.mode === 'networks')
    for (const n of plan.names) networks[n] = { Aliases: [], IPAddress: '', IPPrefixLen: 0, Gateway: '', ...v6(), MacAddress: '' };
  return {
    SandboxKey: st?.netns ?? '',
    IPAddress: first?.ips[0] ?? st?.userMode?.ip ?? '',
    IPPrefixLen: prefix(first?.addresses[0]),
    Gateway: first?.gateway ?? '',
    ...v6(first),
    MacAddress: first?.mac ?? '',
    Ports: ports,
    Networks: networks,
  };
}

/** `hako-init netns-create PATH`: a new network namespace bound onto PATH. */
export function netnsCreate(pin: string): void {
  nativeNetnsCreate(pin);
}

/** `hako-init netns-delete PATH`: unmount and remove a pin; a missing one is fine. */
export function netnsDelete(pin: string): void {
  if (!fs.existsSync(pin) && !isMountPoint(pin)) return;
  nativeNetnsDelete(pin);
}

function isMountPoint(p: string): boolean {
  try {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === p);
  } catch {
    return false;
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
