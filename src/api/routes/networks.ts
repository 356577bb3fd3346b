// The networks endpoints: list, inspect, create, remove, connect, disconnect, prune, over the
// engine's network store and engine/network-api.ts (docker's documents; containers connected while
// they run, or at their next start, which is what compose uses between create and start).
import { HakoError } from '../../util/errors.js';
import { connectNetwork, disconnectNetwork, listNetworkDocuments, networkDocument } from '../../engine/network-api.js';
import { pruneNetworks } from '../../engine/prune.js';
import type { Engine } from '../../engine/engine.js';
import type { ApiContext, Router } from '../router.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';

export function register(r: Router, api: ApiContext): void {
  const e = api.engine;
  r.get('/networks', (call) => call.send(200, listNetworkDocuments(e, call.filters())));
  r.post('/networks/create', async (call) => call.send(201, create(e, await call.json())));
  r.post('/networks/prune', async (call) => call.send(200, { NetworksDeleted: await pruneNetworks(e) }));
  r.get('/networks/{id}', (call) => call.send(200, networkDocument(e, find(e, call.params.id))));
  r.delete('/networks/{id}', async (call) => {
    await remove(e, call.params.id);
    call.send(204);
  });
  r.post('/networks/{id}/connect', async (call) => {
    const body = await call.json<{ Container?: unknown; EndpointConfig?: EndpointConfig | null }>();
    await connectNetwork(e, container(body.Container), find(e, call.params.id).name, { aliases: endpointAliases(body.EndpointConfig) });
    call.send(200);
  });
  r.post('/networks/{id}/disconnect', async (call) => {
    const body = await call.json<{ Container?: unknown }>();
    await disconnectNetwork(e, container(body.Container), find(e, call.params.id).name);
    call.send(200);
  });
}

interface EndpointConfig {
  Aliases?: unknown;
  IPAMConfig?: { IPv4Address?: unknown; IPv6Address?: unknown } | null;
  Links?: unknown;
}

function find(e: Engine, ref: string) {
  try {
    return e.networks.store.find(ref);
  } catch (err) {
    if (err instanceof HakoError && /not found/.test(err.message)) throw notFound(`network ${ref} not found`);
    throw err;
  }
}

function container(v: unknown): string {
  if (typeof v !== 'string' || !v) throw badRequest('Container is required (a container name or ID)');
  return v;
}

function endpointAliases(c: EndpointConfig | null | undefined): string[] {
  if (!c) return [];
  if (c.IPAMConfig?.IPv4Address || c.IPAMConfig?.IPv6Address)
    throw badRequest('EndpointConfig.IPAMConfig: a fixed address is not supported (addresses are leased at start)');
  if (c.Aliases == null) return [];
  if (!Array.isArray(c.Aliases) || c.Aliases.some((a) => typeof a !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(a)))
    throw badRequest('EndpointConfig.Aliases: must be a list of host names');
  return c.Aliases as string[];
}

interface CreateBody {
  Name?: unknown;
  Driver?: unknown;
  Internal?: unknown;
  EnableIPv6?: unknown;
  IPAM?: { Driver?: unknown; Config?: { Subnet?: unknown; Gateway?: unknown; IPRange?: unknown }[] | null } | null;
  Options?: unknown;
  Labels?: unknown;
}

function stringRecord(v: unknown, what: string): Record<string, string> {
  if (v == null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw badRequest(`${what}: must be an object of strings`);
  return v as Record<string, string>;
}

function create(e: Engine, b: CreateBody): Record<string, string> {
  if (typeof b.Name !== 'string' || !b.Name) throw badRequest('Name is required');
  if (b.Driver != null && b.Driver !== '' && b.Driver !== 'bridge') throw badRequest(`Driver "${String(b.Driver)}": only bridge is supported`);
  if (b.Internal === true) throw badRequest('Internal: internal networks are not supported');
  const pools = b.IPAM?.Config ?? [];
  if (!Array.isArray(pools) || pools.length > 2) throw badRequest('IPAM.Config: at most one IPv4 and one IPv6 subnet are supported');
  for (const pool of pools) {
    if (pool.IPRange) throw badRequest('IPAM.Config.IPRange: not supported');
    if (pool.Subnet != null && typeof pool.Subnet !== 'string') throw badRequest('IPAM.Config.Subnet: must be a string');
    if (pool.Gateway != null && typeof pool.Gateway !== 'string') throw badRequest('IPAM.Config.Gateway: must be a string');
  }
  // One pool per family (an IPv6 one needs EnableIPv6, as the CLI's --ipv6: the store says so).
  const v6 = pools.filter((p) => String(p.Subnet ?? '').includes(':'));
  const v4 = pools.filter((p) => !String(p.Subnet ?? '').includes(':'));
  if (v4.length > 1 || v6.length > 1) throw badRequest('IPAM.Config: at most one IPv4 and one IPv6 subnet are supported');
  const [pool, pool6] = [v4[0] ?? {}, v6[0] ?? {}];
  const options = stringRecord(b.Options, 'Options');
  const labels = stringRecord(b.Labels, 'Labels');
  try {
    const n = e.networks.store.create(b.Name, {
      subnet: (pool.Subnet as string | undefined) || undefined,
      gateway: (pool.Gateway as string | undefined) || undefined,
      subnet6: (pool6.Subnet as string | undefined) || undefined,
      gateway6: (pool6.Gateway as string | undefined) || undefined,
      ipv6: b.EnableIPv6 === true,
      bridge: options['com.docker.network.bridge.name'],
      labels,
      options,
    });
    return { Id: n.id, Warning: '' };
  } catch (err) {
    if (err instanceof HakoError && /already exists/.test(err.message)) throw conflict(`network with name ${b.Name} already exists`);
    if (err instanceof HakoError) throw badRequest(err.message);
    throw err;
  }
}

async function remove(e: Engine, ref: string): Promise<void> {
  const n = find(e, ref);
  if (n.isDefault) throw new ApiError(403, `${ref} is a pre-defined network and cannot be removed`);
  await e.reapNetworks();
  try {
    await e.networks.store.remove(n.name);
  } catch (err) {
    if (err instanceof HakoError && /in use/.test(err.message))
      throw new ApiError(403, `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    throw err;
  }
}
