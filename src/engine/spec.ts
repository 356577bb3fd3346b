// Image config + `run` flags -> OCI config.json, with docker's defaults: its capability set, its
// seccomp profile, masked and read-only /proc and /sys paths, a device cgroup allowing only the
// usual devices, and resources from -m/--cpus/... as linux.resources (the runtime applies them).
import fs from 'node:fs';
import { asHakoError, HakoError } from '../util/errors.js';
import { defaultSpec, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../oci/default.js';
import { CAPABILITIES, lastCap, parseSignal } from '../oci/names.js';
import { defaultSeccompProfile, DOCKER_DEFAULT_CAPABILITIES } from './docker-defaults.js';
import type { DeviceCgroup, Device, Mount, Seccomp, Spec } from '../oci/types.js';
import type { RunOptions } from './types.js';
import { resolveUser } from './user.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImageProcessDefaults {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
}

/** docker's rule: --entrypoint replaces the image's Entrypoint and drops its Cmd; words after the
 *  image replace Cmd; the process is Entrypoint followed by Cmd. */
export function combineCommand(image: ImageProcessDefaults, entrypoint: string | undefined, command: string[]): string[] {
  let ep = image.Entrypoint ?? [];
  let cmd = image.Cmd ?? [];
  if (entrypoint !== undefined) {
    ep = entrypoint === '' ? [] : [entrypoint];
    cmd = [];
  }
  if (command.length) cmd = command;
  const args = [...ep, ...cmd];
  if (!args.length) throw new HakoError('no command specified: the image has no Entrypoint or Cmd, give a command after the image name');
  return args;
}

/** Image Env, then the user's -e (same name replaces), PATH when missing, HOSTNAME, TERM for a tty. */
export function mergeEnv(imageEnv: string[], userEnv: string[], extra: { hostname: string; tty: boolean }): string[] {
  const out = new Map<string, string>();
  const put = (e: string) => {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  };
  put(`HOSTNAME=${extra.hostname}`);
  imageEnv.forEach(put);
  if (!out.has('PATH')) put(DEFAULT_PATH);
  if (extra.tty && !out.has('TERM')) put('TERM=xterm');
  userEnv.forEach(put);
  return [...out.values()];
}

/** The signal `stop` sends first: --stop-signal, else the image's StopSignal (nginx's SIGQUIT,
 *  postgres's SIGINT), else SIGTERM when stopping (undefined here), as docker does. */
export function stopSignalFor(flag: string | undefined, image: ImageProcessDefaults): string | undefined {
  if (flag !== undefined || !image.StopSignal) return flag;
  try {
    parseSignal(image.StopSignal);
  } catch {
    throw new HakoError(`the image's StopSignal "${image.StopSignal}" is not a signal`);
  }
  return image.StopSignal;
}

/** docker's capability arithmetic: start from the default set (or all with --privileged),
 *  drop --cap-drop (ALL empties it), then add --cap-add (ALL is everything). "All" is what this host
 *  can grant: a capability missing from our bounding set (a host, or a container we run in, that
 *  dropped CAP_SYS_RESOURCE) cannot be given, and asking for it would fail the container's capset;
 *  docker and runc grant what the host has, so do we. A capability named on its own is kept. */
export function capabilitySet(opts: Pick<RunOptions, 'capAdd' | 'capDrop' | 'privileged'>, bounding = hostBoundingSet()): string[] {
  const all = Object.keys(CAPABILITIES).filter((c) => CAPABILITIES[c] <= lastCap() && (bounding >> BigInt(CAPABILITIES[c])) & 1n);
  if (opts.privileged) return all;
  let caps = new Set(DOCKER_DEFAULT_CAPABILITIES);
  if (opts.capDrop.includes('ALL')) caps = new Set();
  for (const c of opts.capDrop) caps.delete(c);
  if (opts.capAdd.includes('ALL')) caps = new Set(all);
  for (const c of opts.capAdd) if (c !== 'ALL') caps.add(c);
  return [...caps];
}

/** This process's capability bounding set (CapBnd of /proc/self/status); everything if unreadable. */
export function hostBoundingSet(): bigint {
  try {
    const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hex) return BigInt(`0x${hex}`);
  } catch {
    /* not Linux's /proc */
  }
  return ~0n;
}

/** docker's default device cgroup: deny everything, then mknod of anything and the usual devices. */
export const DEFAULT_DEVICE_RULES: DeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  ...[
    [1, 3],
    [1, 5],
    [1, 7],
    [1, 8],
    [1, 9],
    [5, 0],
    [5, 1],
    [5, 2],
    [10, 200],
  ].map(([major, minor]) => ({ allow: true, type: 'c' as const, major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
];

/** A seccomp profile file: OCI's format, or docker's (names/name, archMap, includes/excludes). Rules
 *  with includes/excludes conditions are kept only when they have none we would need to evaluate. */
export function loadSeccompFile(file: string): Seccomp {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new HakoError(`--security-opt seccomp=${file}: no such file`);
    if (e instanceof SyntaxError) throw new HakoError(`--security-opt seccomp=${file}: invalid JSON (${e.message})`);
    throw asHakoError(`--security-opt seccomp=${file}`, e);
  }
  // The fields read here are checked here; what they become is checked with the container's
  // config.json (linux.seccomp), like any profile.
  const bad = (why: string) => new HakoError(`--security-opt seccomp=${file}: ${why}`);
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(doc)) throw bad('must be a JSON object');
  if (typeof doc.defaultAction !== 'string') throw bad('defaultAction is missing');
  if (doc.syscalls != null && (!Array.isArray(doc.syscalls) || !doc.syscalls.every(isObject))) throw bad('syscalls must be an array of objects');
  if (
    doc.archMap != null &&
    (!Array.isArray(doc.archMap) ||
      !doc.archMap.every(
        (a) =>
          isObject(a) &&
          typeof a.architecture === 'string' &&
          (a.subArchitectures == null || (Array.isArray(a.subArchitectures) && a.subArchitectures.every((x: unknown) => typeof x === 'string'))),
      ))
  ) {
    throw bad('archMap must be an array of {architecture, subArchitectures}');
  }
  const out: Seccomp = { defaultAction: doc.defaultAction };
  if (typeof doc.defaultErrnoRet === 'number') out.defaultErrnoRet = doc.defaultErrnoRet;
  if (Array.isArray(doc.architectures)) out.architectures = doc.architectures as string[];
  else if (Array.isArray(doc.archMap))
    out.architectures = (doc.archMap as { architecture: string; subArchitectures?: string[] }[]).flatMap((a) => [
      a.architecture,
      ...(a.subArchitectures ?? []),
    ]);
  if (Array.isArray(doc.flags)) out.flags = doc.flags as string[];
  out.syscalls = [];
  for (const s of (doc.syscalls as Record<string, unknown>[] | undefined) ?? []) {
    const conds = [s.includes, s.excludes].filter((c) => c && Object.keys(c as object).length);
    if (conds.length) continue;
    const names = (s.names as string[] | undefined) ?? (s.name ? [s.name as string] : []);
    out.syscalls.push({
      names,
      action: s.action as string,
      ...(typeof s.errnoRet === 'number' ? { errnoRet: s.errnoRet } : {}),
      ...(Array.isArray(s.args) && s.args.length
        ? { args: s.args as Seccomp['syscalls'] extends (infer T)[] | undefined ? (T extends { args?: infer A } ? A : never) : never }
        : {}),
    });
  }
  return out;
}

export interface SpecInput {
  opts: RunOptions;
  image: ImageProcessDefaults;
  args: string[];
  hostname: string;
  /** The container's root filesystem on the host (for /etc/passwd), or its layers, top first. */
  rootfs: string | string[];
  /** Volumes, network files, init: already resolved to OCI mounts. */
  extraMounts: Mount[];
  /** `host`: no network namespace; `new`: a fresh one (lo only); else a path to join. */
  netns: 'host' | 'new' | { path: string };
  cgroupsPath: string;
  devices: { device: Device; rule: DeviceCgroup }[];
}

export function buildSpec(input: SpecInput): Spec {
  const { opts, image } = input;
  const spec = defaultSpec();
  const proc = spec.process!;
  proc.terminal = opts.tty;
  proc.args = input.args;
  proc.env = mergeEnv(image.Env ?? [], opts.env, { hostname: input.hostname, tty: opts.tty });
  proc.cwd = opts.workdir ?? (image.WorkingDir || '/');
  proc.user = resolveUser(opts.user ?? image.User ?? '', input.rootfs);
  const caps = capabilitySet(opts);
  proc.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  proc.noNewPrivileges = opts.noNewPrivileges;
  // docker does not set a file-descriptor limit of its own; --ulimit sets exactly what is asked.
  proc.rlimits = opts.ulimits.map((u) => ({
    type: `RLIMIT_${u.name.toUpperCase()}`,
    soft: u.soft < 0 ? 2 ** 64 : u.soft,
    hard: u.hard < 0 ? 2 ** 64 : u.hard,
  }));
  if (!proc.rlimits.length) delete proc.rlimits;
  proc.oomScoreAdj = 0;

  spec.hostname = input.hostname;
  spec.root = { path: 'rootfs', readonly: opts.readOnly };
  const mounts = spec.mounts!.filter((m) => !input.extraMounts.some((x) => x.destination === m.destination));
  // As docker (moby's OCI defaults): nothing on /proc runs, is setuid or a device. runc's default
  // spec, which the runtime's is, mounts it without options.
  for (const m of mounts) if (m.destination === '/proc') m.options = ['nosuid', 'noexec', 'nodev'];
  if (opts.privileged) {
    for (const m of mounts) if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') m.options = m.options!.filter((o) => o !== 'ro');
  }
  // --shm-size: docker's /dev/shm is a tmpfs of 64 MiB unless asked otherwise (in KiB, as docker writes it).
  if (opts.shmSize)
    for (const m of mounts)
      if (m.destination === '/dev/shm') m.options = [...m.options!.filter((o) => !o.startsWith('size=')), `size=${Math.ceil(opts.shmSize / 1024)}k`];
  spec.mounts = [...mounts, ...input.extraMounts];

  const linux = spec.linux!;
  linux.namespaces = linux.namespaces!.filter((n) => n.type !== 'network');
  if (input.netns === 'new') linux.namespaces.push({ type: 'network' });
  else if (input.netns !== 'host') linux.namespaces.push({ type: 'network', path: input.netns.path });
  linux.cgroupsPath = input.cgroupsPath;
  linux.maskedPaths = opts.privileged ? [] : [...DEFAULT_MASKED_PATHS];
  linux.readonlyPaths = opts.privileged ? [] : [...DEFAULT_READONLY_PATHS];
  if (Object.keys(opts.sysctls).length) linux.sysctl = { ...opts.sysctls };
  linux.devices = input.devices.map((d) => d.device);
  if (!linux.devices.length) delete linux.devices;

  const res: NonNullable<Spec['linux']>['resources'] = {
    devices: opts.privileged ? [{ allow: true, access: 'rwm' }] : [...DEFAULT_DEVICE_RULES, ...input.devices.map((d) => d.rule)],
  };
  if (opts.memory !== undefined) {
    res.memory = { limit: opts.memory };
    // docker: without --memory-swap, swap may be as large as memory (total = 2x); -1 is unlimited.
    if (opts.memorySwap !== undefined) res.memory.swap = opts.memorySwap;
    else res.memory.swap = opts.memory * 2;
  }
  if (opts.cpus !== undefined) res.cpu = { period: 100000, quota: Math.round(opts.cpus * 100000) };
  if (opts.cpuShares !== undefined) res.cpu = { ...(res.cpu ?? {}), shares: opts.cpuShares };
  if (opts.pidsLimit !== undefined && opts.pidsLimit > 0) res.pids = { limit: opts.pidsLimit };
  linux.resources = res;

  if (opts.privileged || opts.seccomp === 'unconfined') delete linux.seccomp;
  else if (opts.seccomp) linux.seccomp = loadSeccompFile(opts.seccomp);
  else linux.seccomp = defaultSeccompProfile(caps);
  return spec;
}
