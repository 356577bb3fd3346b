// `hako version`, `hako info` and `hako port`: what docker users ask of an engine, answered from
// this host and this root (hako has no daemon: the "server" is this process).
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import type { Engine } from './engine.js';
import type { PortMapping } from './types.js';
import { detectLayout } from '../cgroups/layout.js';
import { HakoError } from '../util/errors.js';

export const HAKO_VERSION = '0.1.0';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function jsRuntime(): string {
  const bun = (process.versions as Record<string, string | undefined>).bun;
  return bun ? `bun ${bun}` : `node ${process.versions.node}`;
}

function conmonVersion(): string {
  try {
    return /conmon version (\S+)/.exec(execFileSync('conmon', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export function versionInfo(): { Client: Record<string, string>; Server: Record<string, string> } {
  const osArch = `${os.platform()}/${ARCH[os.arch()] ?? os.arch()}`;
  return {
    Client: { Version: HAKO_VERSION, OsArch: osArch, Runtime: jsRuntime() },
    Server: {
      Version: HAKO_VERSION,
      OsArch: osArch,
      KernelVersion: os.release(),
      OCIRuntime: `hako ${HAKO_VERSION}`,
      Conmon: conmonVersion(),
      Daemon: 'none (daemonless)',
    },
  };
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

/** docker info's main fields, for this root. */
export async function engineInfo(e: Engine): Promise<Record<string, string | number>> {
  const list = await e.list();
  const running = list.filter((c) => c.state.status === 'running');
  const paused = running.filter((c) => c.state.paused).length;
  const layout = detectLayout();
  return {
    Containers: list.length,
    ContainersRunning: running.length - paused,
    ContainersPaused: paused,
    ContainersStopped: list.length - running.length,
    Images: new Set(e.images.listImages().map((r) => r.config)).size,
    ServerVersion: HAKO_VERSION,
    StorageDriver: 'overlay',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: layout === 'v2' ? '2' : '1',
    DefaultRuntime: 'hako',
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSType: os.platform(),
    Architecture: os.machine?.() ?? os.arch(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    Name: os.hostname(),
    DockerRootDir: e.root,
  };
}

/** The port mappings of a running container, optionally of one `PORT[/PROTO]`. */
export function containerPorts(e: Engine, ref: string, which?: string): PortMapping[] {
  const id = e.store.resolve(ref);
  const ports = e.networks.state(e.store.containerDir(id))?.ports ?? [];
  if (!which) return ports;
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(which);
  if (!m) throw new HakoError(`invalid port "${which}": expected PORT[/PROTO]`);
  return ports.filter((p) => String(p.containerPort) === m[1] && p.protocol === (m[2] ?? 'tcp'));
}
