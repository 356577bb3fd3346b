// Connecting a container's network namespace to networks, and disconnecting it.
// Network modes (what the engine's --network means):
//   host   -> no network namespace at all: nothing to do here (the engine leaves the namespace out);
//   none   -> its own namespace with only lo (the engine leaves it to the OCI runtime, which brings lo up);
//   bridge -> the default network `hako`; any other name -> that network (several may be given:
//             eth0, eth1, ... in that order). lo is brought up in every own namespace.
// Crash safety: before the first ADD we write a small JSON record (path chosen by the caller, e.g.
// the container's state dir) with the exact conflist and runtimeConfig of every attachment, updated
// with each ADD result. detach() and cleanupStale() replay DEL from that record, so cleanup works even
// if the network's file changed or was removed, and even when the namespace is already gone (CNI DEL
// is best-effort: host-local releases the lease, portmap/firewall drop their rules by container id/IP).
import { readVersioned, type DocumentFormat } from '../util/format-version.js';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { CniError, CniExecutor, type CniResult, type ConfList } from './cni.js';
import { NetworkStore, DEFAULT_NETWORK, describeConfList } from './networks.js';
import { connect, disconnect, hostIfName, type BridgeConnection } from './driver/bridge.js';
import { parseIPv4 } from './ipnet.js';
import { parseIPv6 } from './ipnet6.js';
import { removeMasqRules } from './masq.js';
import type { HostIpam } from './driver/ipam.js';

export interface PortMapping {
  hostIP?: string;
  hostPort: number;
  containerPort: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
}

export interface AttachOptions {
  portMappings?: PortMapping[];
  /** Extra names of the container on its networks (runtimeConfig "aliases" for plugins that take it). */
  aliases?: string[];
  /** Where to keep the attachment record (JSON); without it, crash cleanup is not possible. */
  recordPath?: string;
  /** lo is already up in the namespace (`hako-init netns-create` did it): no loopback plugin run. */
  loopbackUp?: boolean;
  /** The container's name, for errors about ports it cannot have (and for its leases). */
  containerName?: string;
  /** docker's --ip, --ip6, --mac-address: for the first network (bridge driver). */
  ip?: string;
  ip6?: string;
  mac?: string;
  store?: NetworkStore;
  executor?: CniExecutor;
}

export interface Attachment {
  network: string;
  ifName: string;
  /** Container addresses in CIDR form, e.g. 10.89.0.2/24. */
  addresses: string[];
  /** Container addresses without prefix (IPv4 first, then IPv6). */
  ips: string[];
  gateway?: string;
  /** Dual-stack networks: the IPv6 gateway. */
  gateway6?: string;
  mac?: string;
  /** The host end of the veth (e.g. veth1a2b3c4d). */
  hostInterface?: string;
  result: CniResult;
}

interface RecordEntry {
  network: string;
  ifName: string;
  /** CNI networks: the conflist ADD ran with; DEL replays it. */
  conflist?: ConfList;
  capabilityArgs: Record<string, unknown>;
  result?: CniResult;
  /** Bridge-driver networks: what connect made (before it succeeded: the names derived up front). */
  driver?: 'bridge';
  bridge?: BridgeConnection;
}

export interface AttachRecord {
  version: 1;
  containerId: string;
  netns: string;
  entries: RecordEntry[];
}

const LOOPBACK: ConfList = { cniVersion: '1.0.0', name: 'hako-loopback', plugins: [{ type: 'loopback' }] };

export function validatePortMappings(maps: PortMapping[]): PortMapping[] {
  return maps.map((m, i) => {
    const where = `port mapping ${i + 1}`;
    for (const k of ['hostPort', 'containerPort'] as const) {
      if (!Number.isInteger(m[k]) || m[k] < 1 || m[k] > 65535) throw new HakoError(`${where}: ${k} ${String(m[k])} is not a port (1-65535)`);
    }
    const protocol = m.protocol ?? 'tcp';
    if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new HakoError(`${where}: protocol "${protocol}" is not tcp, udp or sctp`);
    if (m.hostIP !== undefined && m.hostIP !== '') {
      if (m.hostIP.includes(':')) parseIPv6(m.hostIP, `${where}: hostIP`);
      else parseIPv4(m.hostIP, `${where}: hostIP`);
    }
    return { hostPort: m.hostPort, containerPort: m.containerPort, protocol, ...(m.hostIP ? { hostIP: m.hostIP } : {}) };
  });
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

export function summarize(network: string, ifName: string, result: CniResult): Attachment {
  const ifaces = result.interfaces ?? [];
  const idx = ifaces.findIndex((i) => i.name === ifName && i.sandbox);
  const mine = (result.ips ?? []).filter((ip) => ip.interface === undefined || ip.interface === idx);
  const host = ifaces.find((i) => !i.sandbox && i.name !== ifName && i.name.startsWith('veth'));
  return {
    network,
    ifName,
    addresses: mine.map((ip) => ip.address),
    ips: mine.map((ip) => ip.address.split('/')[0]),
    gateway: mine.find((ip) => ip.gateway)?.gateway,
    mac: idx >= 0 ? ifaces[idx].mac : undefined,
    hostInterface: host?.name,
    result,
  };
}

function writeRecord(file: string | undefined, rec: AttachRecord): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(rec, null, 2));
  fs.renameSync(tmp, file);
}

export function readRecord(file: string): AttachRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HakoError(`${file}: cannot read network attachment record: ${(e as NodeJS.ErrnoException).code}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HakoError(`${file}: not a network attachment record: ${(e as Error).message}`);
  }
  const rec = readVersioned<AttachRecord>(doc, file, ATTACH_RECORD_FORMAT);
  if (!Array.isArray(rec.entries)) throw new HakoError(`${file}: not a network attachment record: no entries`);
  return rec;
}

/** network-record.json (`version` 1): what a later DEL needs, kept across hako upgrades. */
export const ATTACH_RECORD_FORMAT: DocumentFormat = { what: 'network attachment record', current: 1, key: 'version' };

/**
 * Connects the network namespace `netnsPath` of container `containerId` to `networks` (names, or
 * one of the modes 'none', 'host', 'bridge'). Port mappings go to the first network. On any failure
 * everything already attached is detached again and the error is thrown.
 */
export async function attach(containerId: string, netnsPath: string, networks: string[], opts: AttachOptions = {}): Promise<Attachment[]> {
  const { mode, names } = resolveNetworks(networks);
  if (mode === 'host') return [];
  if (!fs.existsSync(netnsPath)) throw new HakoError(`network namespace ${netnsPath}: does not exist`);
  const store = opts.store ?? new NetworkStore();
  const executor = opts.executor ?? new CniExecutor();
  const portMappings = validatePortMappings(opts.portMappings ?? []);
  if (portMappings.length > 0 && names.length === 0) throw new HakoError('port mappings need a network (not --network none)');
  const rec: AttachRecord = { version: 1, containerId, netns: netnsPath, entries: [] };
  if (!opts.loopbackUp) rec.entries.push({ network: LOOPBACK.name, ifName: 'lo', conflist: LOOPBACK, capabilityArgs: {} });
  names.forEach((name, i) => {
    const capabilityArgs: Record<string, unknown> = {};
    if (i === 0 && portMappings.length > 0) capabilityArgs.portMappings = portMappings;
    const conflist = store.confList(name);
    const info = describeConfList(conflist);
    if (info.driver === 'bridge') {
      // The derived names go into the record before anything is made: a crash in between still
      // leaves enough to release the lease and delete the veth.
      rec.entries.push({ network: name, ifName: `eth${i}`, driver: 'bridge', capabilityArgs, bridge: rebuilt(info.bridge, containerId, `eth${i}`) });
      return;
    }
    if (opts.aliases?.length) capabilityArgs.aliases = { [name]: opts.aliases };
    rec.entries.push({ network: name, ifName: `eth${i}`, conflist, capabilityArgs });
  });
  writeRecord(opts.recordPath, rec);
  const out: Attachment[] = [];
  try {
    // Bridge-driver networks first (in-process), then CNI ones (plugins), each in --network order.
    for (const [position, e] of rec.entries.filter((x) => x.ifName !== 'lo').entries()) {
      if (e.driver !== 'bridge') continue;
      e.bridge = addBridge(containerId, netnsPath, e, position, store, position === 0 ? opts : { containerName: opts.containerName });
      writeRecord(opts.recordPath, rec);
      out.push(bridgeAttachment(e.network, e.ifName, e.bridge));
    }
    for (const e of rec.entries) {
      if (e.driver === 'bridge') continue;
      e.result = await executor.add(e.conflist!, { containerId, netns: netnsPath, ifName: e.ifName, capabilityArgs: e.capabilityArgs });
      writeRecord(opts.recordPath, rec);
      if (e.conflist !== LOOPBACK) out.push(summarize(e.network, e.ifName, e.result));
    }
  } catch (err) {
    const failed = rec.entries.find((e) => !e.result && !e.bridge);
    if (failed && err instanceof CniError && err.partialResult) failed.result = err.partialResult;
    const errors = await delEntries(executor, rec, rec.entries);
    if (opts.recordPath && errors.length === 0) fs.rmSync(opts.recordPath, { force: true });
    throw err;
  }
  out.sort((a, b) => a.ifName.localeCompare(b.ifName, undefined, { numeric: true }));
  return out;
}

/**
 * Connects one more network to a namespace that is attached already (a running container's): the
 * first free `ethN`, no port mappings (they stay on the first network), the record extended before
 * anything is made. On a failure the new entry is undone and dropped from the record.
 */
export async function attachAnother(
  containerId: string,
  netnsPath: string,
  network: string,
  opts: AttachOptions & { recordPath: string },
): Promise<Attachment> {
  const rec = readRecord(opts.recordPath) ?? { version: 1, containerId, netns: netnsPath, entries: [] };
  if (rec.entries.some((e) => e.network === network)) throw new HakoError(`container ${containerId} is already connected to network ${network}`);
  const store = opts.store ?? new NetworkStore();
  const executor = opts.executor ?? new CniExecutor();
  const used = new Set(rec.entries.map((e) => e.ifName));
  let position = 0;
  while (used.has(`eth${position}`)) position++;
  const ifName = `eth${position}`;
  const conflist = store.confList(network);
  const info = describeConfList(conflist);
  const entry: RecordEntry =
    info.driver === 'bridge'
      ? { network, ifName, driver: 'bridge', capabilityArgs: {}, bridge: rebuilt(info.bridge, containerId, ifName) }
      : { network, ifName, conflist, capabilityArgs: opts.aliases?.length ? { aliases: { [network]: opts.aliases } } : {} };
  rec.entries.push(entry);
  writeRecord(opts.recordPath, rec);
  try {
    if (entry.driver === 'bridge') {
      entry.bridge = addBridge(containerId, netnsPath, entry, position, store, opts);
      writeRecord(opts.recordPath, rec);
      return bridgeAttachment(network, ifName, entry.bridge);
    }
    entry.result = await executor.add(conflist, { containerId, netns: netnsPath, ifName, capabilityArgs: entry.capabilityArgs });
    writeRecord(opts.recordPath, rec);
    return summarize(network, ifName, entry.result);
  } catch (err) {
    await finish(executor, rec, [entry], opts.recordPath).catch(() => {});
    throw err;
  }
}

function addBridge(containerId: string, netns: string, e: RecordEntry, position: number, store: NetworkStore, o: AttachOptions): BridgeConnection {
  const info = describeConfList(store.confList(e.network));
  const ports = (e.capabilityArgs.portMappings ?? []) as PortMapping[];
  const { containerName, ip, ip6, mac } = o;
  return connect(
    { name: e.network, bridge: info.bridge, subnet: info.subnet, gateway: info.gateway, subnet6: info.subnet6, gateway6: info.gateway6 },
    {
      containerId,
      netns,
      ifName: e.ifName,
      position,
      ports,
      containerName,
      ipam: store.hostIpam,
      ip,
      ip6,
      mac,
    },
  );
}

/** A bridge connection without its record: the names are derived, ports are found by container. */
function rebuilt(bridge: string, containerId: string, ifName: string): BridgeConnection {
  return { bridge, subnet: '', gateway: '', address: '', prefix: 0, mac: '', hostIf: hostIfName(containerId, ifName), netns: '', ports: [] };
}

function bridgeAttachment(network: string, ifName: string, c: BridgeConnection): Attachment {
  const v6 = c.address6 ? [{ address: `${c.address6}/${c.prefix6}`, gateway: c.gateway6, interface: 0 }] : [];
  return {
    network,
    ifName,
    addresses: [`${c.address}/${c.prefix}`, ...v6.map((a) => a.address)],
    ips: [c.address, ...(c.address6 ? [c.address6] : [])],
    gateway: c.gateway,
    ...(c.gateway6 ? { gateway6: c.gateway6 } : {}),
    mac: c.mac,
    hostInterface: c.hostIf,
    result: {
      cniVersion: '1.0.0',
      interfaces: [{ name: ifName, mac: c.mac, sandbox: c.netns }],
      ips: [{ address: `${c.address}/${c.prefix}`, gateway: c.gateway, interface: 0 }, ...v6],
    },
  };
}

/** DEL for entries in reverse order; every plugin of every entry is tried. */
async function delEntries(executor: CniExecutor, rec: AttachRecord, entries: RecordEntry[], background = false, ipam?: HostIpam): Promise<Error[]> {
  const netns = fs.existsSync(rec.netns) ? rec.netns : '';
  const errors: Error[] = [];
  for (const e of [...entries].reverse()) {
    if (e.driver === 'bridge') {
      try {
        if (e.bridge) disconnect(e.bridge, rec.containerId, e.ifName, { background, ipam });
      } catch (err) {
        errors.push(err as Error);
      }
      continue;
    }
    const conflist = e.conflist!;
    errors.push(...(await executor.del(conflist, { containerId: rec.containerId, netns, ifName: e.ifName, capabilityArgs: e.capabilityArgs }, e.result)));
    // Without the namespace the bridge plugin cannot find the addresses its ipMasq rules match.
    if (!netns && conflist.plugins.some((p) => p.type === 'bridge' && p.ipMasq)) removeMasqRules(conflist.name, rec.containerId);
  }
  return errors;
}

/**
 * Disconnects the container from `networks` (all of them when empty or when the mode was none).
 * Uses the record when there is one (same conflist and prevResult as ADD); without it, DEL runs with
 * the networks' current config. Every plugin's DEL is tried; failures are thrown together afterwards
 * and the record keeps the entries that failed, for a later cleanupStale().
 */
export async function detach(containerId: string, netnsPath: string, networks: string[], opts: AttachOptions = {}): Promise<void> {
  const executor = opts.executor ?? new CniExecutor();
  const { mode, names } = resolveNetworks(networks);
  if (mode === 'host') return;
  let rec = opts.recordPath ? readRecord(opts.recordPath) : undefined;
  if (!rec) {
    const store = opts.store ?? new NetworkStore();
    rec = { version: 1, containerId, netns: netnsPath, entries: [{ network: LOOPBACK.name, ifName: 'lo', conflist: LOOPBACK, capabilityArgs: {} }] };
    names.forEach((name, i) => {
      const conflist = store.confList(name);
      const info = describeConfList(conflist);
      const ifName = `eth${i}`;
      if (info.driver === 'cni') rec!.entries.push({ network: name, ifName, conflist, capabilityArgs: {} });
      else rec!.entries.push({ network: name, ifName, driver: 'bridge', capabilityArgs: {}, bridge: rebuilt(info.bridge, containerId, ifName) });
    });
  }
  const everything = mode === 'none' || networks.length === 0 || rec.entries.every((e) => e.ifName === 'lo' || names.includes(e.network));
  const chosen = everything ? rec.entries : rec.entries.filter((e) => names.includes(e.network));
  await finish(executor, rec, chosen, opts.recordPath, false, opts.store?.hostIpam);
}

/** After a crash or at removal: replays DEL for everything in the record at `recordPath`, then removes
 *  it. `background`: the caller unpins the namespace next, so bridge-driver veths may go with it (see
 *  driver/bridge.ts disconnect). */
export async function cleanupStale(recordPath: string, opts: { executor?: CniExecutor; background?: boolean; ipam?: HostIpam } = {}): Promise<boolean> {
  const rec = readRecord(recordPath);
  if (!rec) return false;
  await finish(opts.executor ?? new CniExecutor(), rec, rec.entries, recordPath, opts.background, opts.ipam);
  return true;
}

async function finish(
  executor: CniExecutor,
  rec: AttachRecord,
  chosen: RecordEntry[],
  recordPath?: string,
  background = false,
  ipam?: HostIpam,
): Promise<void> {
  const failed = new Set<RecordEntry>();
  const messages: string[] = [];
  for (const e of [...chosen].reverse()) {
    const errors = await delEntries(executor, rec, [e], background, ipam);
    if (errors.length > 0) failed.add(e);
    messages.push(...errors.map((err) => err.message));
  }
  const left = rec.entries.filter((e) => !chosen.includes(e) || failed.has(e));
  if (recordPath) {
    // Only the loopback entry left (partial detach of every real network): nothing to clean up later.
    if (left.every((e) => e.ifName === 'lo' && !failed.has(e))) fs.rmSync(recordPath, { force: true });
    else writeRecord(recordPath, { ...rec, entries: left });
  }
  if (failed.size > 0) {
    throw new HakoError(`detaching container "${rec.containerId}" failed${recordPath ? ` (record kept in ${recordPath})` : ''}: ${messages.join('; ')}`);
  }
}
