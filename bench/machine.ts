// What the numbers were measured on; written next to them in the JSON and printed above the tables.
import fs from 'node:fs';
import os from 'node:os';
import { capture, which } from './proc.js';
import { unifiedHidden } from './supervisor.js';

export interface MachineInfo {
  date: string;
  hostname: string;
  kernel: string;
  distro: string;
  cpuModel: string;
  cores: number;
  memoryMiB: number;
  node: string;
  cgroups: string;
  peers: Record<string, string>;
  /** hako's commit (with "+dirty" when the work tree differs from it). */
  commit: string;
  /** /proc/loadavg's 1, 5 and 15-minute averages when the bench started. */
  load: number[];
}

/** The 1-minute load average now. */
export function loadAverage(): number {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function gitCommit(repo: string): string {
  const head = capture('git', ['-C', repo, 'rev-parse', '--short=12', 'HEAD']).trim();
  if (!head) return 'unknown';
  const dirty = capture('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no']).trim();
  return dirty ? `${head}+dirty` : head;
}

function distro(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function cgroupLayout(): string {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const v1 = mounts.split('\n').filter((l) => / - cgroup /.test(l)).length;
  const v2 = mounts.split('\n').some((l) => / - cgroup2 /.test(l));
  const base = v1 > 0 ? (v2 ? `v1 (${v1} hierarchies) + v2 hybrid` : `v1 (${v1} hierarchies)`) : v2 ? 'v2 unified' : 'none';
  return unifiedHidden() ? `${base}; /sys/fs/cgroup/unified hidden in the bench's private mount namespace (for crun)` : base;
}

function version(bin: string, args: string[]): string | undefined {
  if (!which(bin)) return undefined;
  return capture(bin, args).split('\n')[0]?.trim() || 'unknown';
}

export function machineInfo(repo: string): MachineInfo {
  const cpus = os.cpus();
  const peers: Record<string, string> = {};
  for (const [name, args] of [
    ['runc', ['--version']],
    ['crun', ['--version']],
    ['podman', ['--version']],
    ['conmon', ['--version']],
    ['skopeo', ['--version']],
  ] as const) {
    const v = version(name, [...args]);
    if (v) peers[name] = v;
  }
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    kernel: `${os.type()} ${os.release()} ${os.machine()}`,
    distro: distro(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    cgroups: cgroupLayout(),
    peers,
    commit: gitCommit(repo),
    load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
  };
}
