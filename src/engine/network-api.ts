// Networks as docker's Engine API shows and changes them: the inspect/list document (Id, Created,
// Scope, Driver, IPAM, Containers, Labels, …), and `connect`/`disconnect`. hako sets a container's
// networks up when it starts (src/engine/network.ts), so connecting a stopped or created container
// is a change of its recorded `--network` and `--network-alias` list, applied at its next start
// (compose connects exactly such containers); a running one is changed at once as well.
import { HakoError } from '../util/errors.js';
import type { NetworkInfo } from '../network/index.js';
import type { Engine } from './engine.js';
import { resolveNetworks } from '../network/index.js';
import { DEFAULT_NETWORK as BRIDGE_ALIAS } from './network.js';

/** docker's name of a hako network: the default network `hako` is docker's `bridge`. */
function dockerName(n: NetworkInfo): string {
  return n.isDefault ? BRIDGE_ALIAS : n.name;
}

/** The engine's containers holding a lease on the network, by ID, as docker's `Containers`. */
function networkContainers(e: Engine, n: NetworkInfo): Record<string, unknown> {
  const prefix = n.subnet.split('/')[1] ?? '';
  const out: Record<string, unknown> = {};
  for (const u of e.networks.store.users(n.name)) {
    let name: string;
    try {
      name = e.store.readConfig(u.containerId).name;
    } catch {
      continue; // another store's container on a shared bridge
    }
    const st = e.networks.state(e.store.containerDir(u.containerId));
    const mac = st?.networks.find((x) => x.name === n.name)?.mac ?? '';
    const v6 = u.ip6 && n.subnet6 ? `${u.ip6}/${n.subnet6.split('/')[1]}` : '';
    out[u.containerId] = { Name: name, EndpointID: '', MacAddress: mac, IPv4Address: `${u.ip}/${prefix}`, IPv6Address: v6 };
  }
  return out;
}

/** docker's inspect document of a network. */
export function networkDocument(e: Engine, n: NetworkInfo, opts: { containers?: boolean } = {}): Record<string, unknown> {
  return {
    Name: dockerName(n),
    Id: n.id,
    Created: n.created || new Date(0).toISOString(),
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: !!n.subnet6,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config: [{ Subnet: n.subnet, Gateway: n.gateway }, ...(n.subnet6 ? [{ Subnet: n.subnet6, Gateway: n.gateway6 }] : [])],
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: opts.containers === false ? {} : networkContainers(e, n),
    // What it was created with (compose compares them with its driver_opts); the default network's bridge.
    Options: n.isDefault ? { 'com.docker.network.bridge.name': n.bridge } : n.options,
    Labels: n.labels,
  };
}

export interface NetworkFilters {
  name?: string[];
  id?: string[];
  label?: string[];
  driver?: string[];
  type?: string[];
  dangling?: string[];
  scope?: string[];
}

const FILTER_KEYS = ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'];

/** `network ls --filter KEY=VALUE…` as docker checks them: its keys, type custom|builtin,
 *  dangling true|false, in docker's words. */
export function parseNetworkFilters(filters: string[]): NetworkFilters {
  const out: Record<string, string[]> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new HakoError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).toLowerCase();
    const value = f.slice(eq + 1);
    if (!FILTER_KEYS.includes(key)) throw new HakoError(`invalid filter '${key}'`);
    if (key === 'type' && value !== 'custom' && value !== 'builtin') throw new HakoError(`invalid filter: 'type'='${value}'`);
    if (key === 'dangling' && !['true', 'false', '1', '0'].includes(value.toLowerCase())) throw new HakoError(`invalid filter 'dangling=${value}'`);
    out[key] = [...(out[key] ?? []), key === 'dangling' ? value.toLowerCase() : value];
  }
  return out;
}

function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** `GET /networks` and `network ls` with docker's filters (name and id match substrings/prefixes, as docker's). */
export function listNetworkDocuments(e: Engine, f: NetworkFilters = {}): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const n of e.networks.store.list()) {
    const doc = networkDocument(e, n);
    const name = doc.Name as string;
    if (f.name?.length && !f.name.some((x) => name.includes(x) || n.name.includes(x))) continue; // docker's name or hako's
    if (f.id?.length && !f.id.some((x) => n.id.startsWith(x))) continue;
    if (f.label?.length && !f.label.every((l) => labelMatches(l, n.labels))) continue;
    if (f.driver?.length && !f.driver.includes(doc.Driver as string) && !f.driver.includes(n.driver)) continue;
    if (f.scope?.length && !f.scope.includes(doc.Scope as string)) continue;
    if (f.type?.length && !f.type.includes(n.isDefault ? 'builtin' : 'custom')) continue;
    if (f.dangling?.length) {
      const unused = Object.keys(doc.Containers as object).length === 0 && !n.isDefault;
      if (f.dangling.some((d) => (d === 'true' || d === '1') !== unused)) continue;
    }
    out.push(doc);
  }
  return out;
}

/** The container's recorded networks (names, `bridge` for the default), or its mode. */
function recordedNetworks(network: string): { mode: string; names: string[] } {
  if (network.startsWith('container:')) return { mode: 'container', names: [] };
  const r = resolveNetworks((network || BRIDGE_ALIAS).split(','));
  return { mode: r.mode, names: r.names };
}

/** Whether the container runs now (its networks are then changed live); one set up but not
 *  running (an exit not yet handled) is refused. */
async function isRunning(e: Engine, id: string, verb: string): Promise<boolean> {
  const st = await e.refresh(id);
  if (st.status === 'running' || st.status === 'restarting') return true;
  if (e.networks.hasResources(id, e.store.containerDir(id)))
    throw new HakoError(`cannot ${verb} container ${id}: its network is still set up (it is exiting); try again`);
  return false;
}

/** Connects a container to a network: at once when it runs (a new interface in its namespace,
 *  name files rewritten), and in its record, so its next start has it too. */
export async function connectNetwork(e: Engine, containerRef: string, networkRef: string, opts: { aliases?: string[] } = {}): Promise<void> {
  const net = e.networks.store.find(networkRef);
  const id = e.store.resolve(containerRef);
  await e.store.lock(id, async () => {
    const cfg = e.store.readConfig(id);
    const cur = recordedNetworks(cfg.options.network);
    if (cur.mode === 'host' || cur.mode === 'container')
      throw new HakoError(`container ${cfg.name}: network mode ${cfg.options.network} cannot be connected to other networks`);
    const names = cur.mode === 'none' ? [] : cur.names;
    if (names.includes(net.name)) throw new HakoError(`endpoint with name ${cfg.name} already exists in network ${dockerName(net)}`);
    if (await isRunning(e, id, `connect to network ${net.name}`)) await e.networks.connectRunning(e.networkContext(cfg), net.name, opts.aliases ?? []);
    const aliases = [...new Set([...(cfg.options.networkAliases ?? []), ...(opts.aliases ?? [])])];
    e.store.writeConfig({ ...cfg, options: { ...cfg.options, network: [...names, net.name].join(','), networkAliases: aliases } });
  });
}

/** Disconnects a container from a network, at once when it runs. Without networks left it has none
 *  (`--network none`) and its aliases go; a later connect gives it networks again. */
export async function disconnectNetwork(e: Engine, containerRef: string, networkRef: string): Promise<void> {
  const net = e.networks.store.find(networkRef);
  const id = e.store.resolve(containerRef);
  await e.store.lock(id, async () => {
    const cfg = e.store.readConfig(id);
    const cur = recordedNetworks(cfg.options.network);
    if (cur.mode !== 'networks' || !cur.names.includes(net.name)) throw new HakoError(`container ${id} is not connected to network ${dockerName(net)}`);
    if (await isRunning(e, id, `disconnect from network ${net.name}`)) await e.networks.disconnectRunning(e.networkContext(cfg), net.name);
    const rest = cur.names.filter((n) => n !== net.name);
    const options = rest.length ? { ...cfg.options, network: rest.join(',') } : { ...cfg.options, network: 'none', networkAliases: [] };
    e.store.writeConfig({ ...cfg, options });
  });
}
