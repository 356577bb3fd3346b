// The engine's containers in docker's JSON shapes: the list entries of GET /containers/json (with
// docker's filters) and the inspect document of GET /containers/{id}/json — the engine's inspect with
// the fields docker's clients read filled in (PortBindings as a map, ExposedPorts, the merged Env,
// Networks' ids).
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine/engine.js';
import { statusText } from '../engine/ps-rows.js';
import type { ContainerConfig, ContainerState, PortMapping } from '../engine/types.js';
import { badRequest } from './errors.js';

type Json = Record<string, unknown>;

/** docker's state name: a paused container is `paused`, not `running`. */
export function stateName(s: ContainerState): string {
  return s.status === 'running' && s.paused ? 'paused' : s.status;
}

/** `{"80/tcp": [{HostIp, HostPort}]}` from the engine's mappings. */
function portBindings(list: PortMapping[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of list) (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIP, HostPort: p.hostPort ? String(p.hostPort) : '' });
  return out;
}

/** The bundle's process (env with the image's and hako's additions, as the container has it). */
function bundleProcess(engine: Engine, id: string): { env?: string[] } {
  try {
    return (JSON.parse(fs.readFileSync(path.join(engine.store.bundleDir(id), 'config.json'), 'utf8')) as { process?: { env?: string[] } }).process ?? {};
  } catch {
    return {};
  }
}

/** GET /containers/{id}/json. */
export async function inspectContainer(engine: Engine, ref: string): Promise<Json> {
  const doc = await engine.inspect(ref);
  const id = doc.Id as string;
  const cfg = engine.store.readConfig(id);
  const host = doc.HostConfig as Json;
  const config = doc.Config as Json;
  const net = doc.NetworkSettings as Json & { Networks: Record<string, Json> };
  for (const [name, n] of Object.entries(net.Networks ?? {}))
    net.Networks[name] = {
      IPAMConfig: null,
      Links: null,
      NetworkID: name,
      EndpointID: n.IPAddress ? `${id.slice(0, 12)}-${name}` : '',
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DriverOpts: null,
      ...n,
    };
  return {
    ...doc,
    ResolvConfPath: path.join(engine.store.containerDir(id), 'etc', 'resolv.conf'),
    HostnamePath: path.join(engine.store.containerDir(id), 'etc', 'hostname'),
    HostsPath: path.join(engine.store.containerDir(id), 'etc', 'hosts'),
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    GraphDriver: { Name: 'overlay', Data: null },
    HostConfig: {
      ...host,
      PortBindings: portBindings(cfg.options.publish),
      PublishAllPorts: Boolean(cfg.options.publishAll),
      LogConfig: { Type: 'k8s-file', Config: {} },
    },
    Config: {
      Domainname: '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      StdinOnce: false,
      ...config,
      Env: bundleProcess(engine, id).env ?? config.Env,
      ExposedPorts: Object.fromEntries((cfg.exposedPorts ?? []).map((p) => [p, {}])),
      Volumes: null,
      OnBuild: null,
    },
    NetworkSettings: {
      Bridge: '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      EndpointID: '',
      ...net,
    },
  };
}

/** One entry of GET /containers/json. */
function summary(engine: Engine, c: ContainerConfig, s: ContainerState): Json {
  const ports = engine.networks.state(engine.store.containerDir(c.id))?.ports ?? [];
  const network = c.options.network || 'bridge';
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    Command: [c.path, ...c.args].join(' '),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: ports.map((p) => ({ IP: p.hostIP || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol })),
    Labels: c.options.labels,
    State: stateName(s),
    Status: statusText(s),
    HostConfig: { NetworkMode: network },
    NetworkSettings: { Networks: {} },
    Mounts: c.options.volumes.map((v) => ({ Type: v.type, Name: v.type === 'volume' ? v.source : undefined, Destination: v.target, RW: !v.readOnly })),
  };
}

const FILTERS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'network', 'before', 'since']);

/** docker's label filter: `key` (present) or `key=value`. */
export function labelsMatch(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? w in labels : labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

function matches(c: ContainerConfig, s: ContainerState, f: Record<string, string[]>): boolean {
  const any = (key: string, test: (v: string) => boolean) => !f[key]?.length || f[key].some(test);
  return (
    any('id', (v) => c.id.startsWith(v)) &&
    any('name', (v) => c.name.includes(v.replace(/^\//, '')) || safeRegex(v).test(c.name)) &&
    labelsMatch(c.options.labels, f.label ?? []) &&
    any('status', (v) => v === stateName(s)) &&
    any('exited', (v) => s.status === 'exited' && String(s.exitCode) === v) &&
    any('ancestor', (v) => c.image === v || c.imageId === v || c.imageId === `sha256:${v}` || c.image.split(':')[0] === v) &&
    any('network', (v) => (c.options.network || 'bridge') === v)
  );
}

function safeRegex(v: string): RegExp {
  try {
    return new RegExp(v);
  } catch {
    return /$^/;
  }
}

/** GET /containers/json: `all` (else only running ones), `limit`, `filters`. */
export async function listContainers(engine: Engine, opts: { all: boolean; limit?: number; filters: Record<string, string[]> }): Promise<Json[]> {
  for (const k of Object.keys(opts.filters)) if (!FILTERS.has(k)) throw badRequest(`invalid filter '${k}'`);
  let list = await engine.list();
  const all = opts.all || Boolean(opts.filters.status?.length || opts.filters.exited?.length);
  list = list.filter(({ config, state }) => (all || state.status === 'running') && matches(config, state, opts.filters));
  list = createdWindow(list, engine, opts.filters);
  if (opts.limit !== undefined && opts.limit > 0) list = list.slice(0, opts.limit);
  return list.map(({ config, state }) => summary(engine, config, state));
}

/** `before`/`since`: containers created before/after the named one. */
function createdWindow<T extends { config: ContainerConfig }>(list: T[], engine: Engine, f: Record<string, string[]>): T[] {
  const at = (ref: string) => engine.store.readConfig(engine.store.resolve(ref)).created;
  const before = f.before?.[0] && at(f.before[0]);
  const since = f.since?.[0] && at(f.since[0]);
  return list.filter(({ config }) => (!before || config.created < before) && (!since || config.created > since));
}
