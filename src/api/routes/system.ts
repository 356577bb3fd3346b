// `_ping`, `version`, `info` (and, with the containers, `events` and `system/df`): what every
// client asks first. `_ping`'s headers carry the version negotiation (`Api-Version`) and the
// builder a client should use (`Builder-Version: 1`, the classic builder: no BuildKit session).
import os from 'node:os';
import { engineInfo, HAKO_VERSION, versionInfo } from '../../engine/system-info.js';
import type { ApiContext, Router } from '../router.js';
import type { Call } from '../call.js';
import { API_VERSION, MIN_API_VERSION } from '../version.js';

const PING_HEADERS = { 'Builder-Version': '1', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' };

export function register(r: Router, api: ApiContext): void {
  r.get('/_ping', (call) => ping(call));
  r.head('/_ping', (call) => call.send(200, undefined, { ...PING_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0' }));
  r.get('/version', (call) => call.send(200, dockerVersion()));
  r.get('/info', async (call) => call.send(200, await dockerInfo(api)));
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
