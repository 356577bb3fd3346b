// `_ping`, `version`, `info` (and, with the containers, `events` and `system/df`): what every
// client asks first. `_ping`'s headers carry the version negotiation (`Api-Version`) and the
// builder a client should use (`Builder-Version: 1`, the classic builder: no BuildKit session).
import os from 'node:os';
import { engineInfo, HAKO_VERSION, versionInfo } from '../../engine/system-info.js';
import type { ApiContext, Router } from '../router.js';
import type { Call } from '../call.js';
import { API_VERSION, MIN_API_VERSION } from '../version.js';
import { listContainers } from '../container-json.js';
import { clientGone, timeParam } from './container-io.js';
import { filterWords } from './filters.js';

const PING_HEADERS = { 'Builder-Version': '1', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' };

export function register(r: Router, api: ApiContext): void {
  r.get('/_ping', (call) => ping(call));
  r.head('/_ping', (call) => call.send(200, undefined, { ...PING_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0' }));
  r.get('/version', (call) => call.send(200, dockerVersion()));
  r.get('/info', async (call) => call.send(200, await dockerInfo(api)));
  r.get('/events', (call) => events(api, call));
  r.get('/system/df', async (call) => call.send(200, await systemDf(api)));
}

/** GET /events: the engine's event log as docker's JSON stream (one object per line) — what was
 *  recorded since `since`, then, until `until` (or the client leaves), what happens. */
async function events(api: ApiContext, call: Call): Promise<void> {
  const { parseEventFilters, readEvents } = await import('../../engine/events.js');
  const filters = parseEventFilters(filterWords(call.filters()));
  const since = timeParam(call, 'since');
  const until = timeParam(call, 'until');
  const out = call.stream(200, 'application/json');
  const follow = until === undefined || until > Date.now();
  for await (const ev of readEvents(api.engine.root, { since, until, filters }, { follow, signal: clientGone(call) })) {
    if (until !== undefined && ev.time * 1000 > until) break;
    // docker's older fields too (status, id, from), which docker-py and compose 1.x read.
    const legacy = ev.Type === 'container' ? { status: ev.Action, id: ev.Actor.ID, from: ev.Actor.Attributes.image ?? '' } : {};
    out.write(`${JSON.stringify({ ...legacy, ...ev, scope: 'local' })}\n`);
  }
  out.end();
}

/** GET /system/df: images, containers (with their written size) and volumes (with their size). */
async function systemDf(api: ApiContext): Promise<Record<string, unknown>> {
  const e = api.engine;
  const { systemDf: rows } = await import('../../engine/df.js');
  const { containerSize } = await import('../../engine/prune.js');
  const { VolumeStore, volumeUsers } = await import('../../engine/volumes.js');
  const [images] = await rows(e);
  const containers = await listContainers(e, { all: true, filters: {} });
  for (const c of containers) c.SizeRw = await containerSize(e, c.Id as string);
  const configs = (await e.list()).map((c) => c.config);
  const store = new VolumeStore(e.root);
  const volumes = [];
  for (const v of store.list()) volumes.push({ ...v, UsageData: { Size: await store.size(v.Name), RefCount: volumeUsers(v.Name, configs).length } });
  const byId = new Map<string, { Id: string; RepoTags: string[]; Size: number; Created: number }>();
  for (const rec of e.images.listImages()) {
    const img = byId.get(rec.config) ?? { Id: rec.config, RepoTags: [], Size: rec.size, Created: Math.floor(Date.parse(rec.tagged) / 1000) };
    img.RepoTags.push(rec.reference);
    byId.set(rec.config, img);
  }
  const used = await e.imagesInUse();
  const imageList = [...byId.values()].map((i) => ({
    ...i,
    ParentId: '',
    RepoDigests: [],
    SharedSize: -1,
    VirtualSize: i.Size,
    Labels: null,
    Containers: used.has(i.Id) ? 1 : 0,
  }));
  return { LayersSize: images.Size, Images: imageList, Containers: containers, Volumes: volumes, BuildCache: [] };
}

function ping(call: Call): void {
  call.send(200, 'OK', PING_HEADERS);
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** docker's /version: the engine's fields, hako's runtime and conmon as components. */
export function dockerVersion(): Record<string, unknown> {
  const server = versionInfo().Server;
  const common = { Version: HAKO_VERSION, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: os.platform(), Arch: ARCH[os.arch()] ?? os.arch() };
  return {
    Platform: { Name: `hako ${HAKO_VERSION}` },
    Components: [
      { Name: 'Engine', Version: HAKO_VERSION, Details: { ...common, KernelVersion: os.release(), Experimental: 'false' } },
      { Name: 'hako', Version: HAKO_VERSION, Details: { GitCommit: '' } },
      { Name: 'conmon', Version: server.Conmon, Details: { Package: 'conmon' } },
    ],
    ...common,
    GitCommit: '',
    GoVersion: '',
    KernelVersion: os.release(),
    Experimental: false,
    BuildTime: '',
  };
}

/** docker's /info: engineInfo's fields and the rest of the shape clients read (Swarm, Plugins, …). */
async function dockerInfo(api: ApiContext): Promise<Record<string, unknown>> {
  const base = await engineInfo(api.engine);
  return {
    ID: '',
    ...base,
    Driver: base.StorageDriver,
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    NEventsListener: 0,
    OSVersion: '',
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
    GenericResources: null,
    HttpProxy: process.env.HTTP_PROXY ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? '',
    NoProxy: process.env.NO_PROXY ?? '',
    Labels: [],
    ExperimentalBuild: false,
    Runtimes: { hako: { path: 'hako' }, runc: { path: 'runc' }, crun: { path: 'crun' } },
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: 'catatonit',
    SecurityOptions: ['name=seccomp,profile=builtin'],
    Warnings: [],
  };
}
