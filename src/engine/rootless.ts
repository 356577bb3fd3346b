// The engine as an ordinary user, as podman runs rootless: the store in the user's data directory,
// runtime state in the user's runtime directory, and every container in the user's one shared user
// namespace (rootless-pause.ts, podman's pause process) that maps container root to the user and ids
// 1… to the user's subordinate ids (/etc/subuid and /etc/subgid, written by newuidmap/newgidmap).
// The store's trees hold files owned by those ids, so the tool modes that unpack and remove them run
// in that namespace too. --userns=keep-id containers get a namespace of their own (other maps).
import os from 'node:os';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { subidRanges, type SubidRange } from '../util/subids.js';
import type { IdMapping, Spec } from '../oci/types.js';
import type { RunOptions } from './types.js';
import { ROOTFS_MOUNT_ANNOTATION } from '../runtime/index.js';
import { setStoreUserns } from '../native/modes.js';
import { ensurePause, releasePause, type Pause } from './rootless-pause.js';
import type { UnpackOptions } from '../storage/layers/index.js';
import { findDelegation, LIMIT_CONTROLLERS, missingControllers, type Delegation } from '../cgroups/index.js';

export const SUBUID_FILE = '/etc/subuid';
export const SUBGID_FILE = '/etc/subgid';

export function isRootless(): boolean {
  return process.geteuid?.() !== 0;
}

/** The rootless store: $XDG_DATA_HOME/hako, else ~/.local/share/hako (podman's
 *  ~/.local/share/containers/storage). */
export function rootlessStoreDir(): string {
  const data = process.env.XDG_DATA_HOME;
  if (data && path.isAbsolute(data)) return path.join(data, 'hako');
  const home = process.env.HOME || os.userInfo().homedir;
  return path.join(home, '.local', 'share', 'hako');
}

export interface UserMaps {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** Why only the user's own id is mapped (no subordinate ids): said once, as a note. */
  note?: string;
}

function userName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined; // a uid without a passwd entry: /etc/subuid may still list it by number
  }
}

/**
 * The maps of the user's containers. `default`: container 0 is the user, 1… the subordinate ids in
 * file order (podman's rootless default). `keep-id`: the user keeps its own id inside, the
 * subordinate ids fill 0… around it (podman's --userns=keep-id). Without subordinate ids, the user's
 * own id alone (0 for default), with a note saying what is missing.
 */
export function userMaps(mode: 'default' | 'keep-id' = 'default'): UserMaps {
  const uid = process.geteuid!();
  const gid = process.getegid!();
  const name = userName();
  const subuids = subidRanges(SUBUID_FILE, { name, id: uid });
  const subgids = subidRanges(SUBGID_FILE, { name, id: uid });
  const missing = [!subuids.length && SUBUID_FILE, !subgids.length && SUBGID_FILE].filter(Boolean).join(' and ');
  if (missing) {
    if (mode === 'keep-id') throw new HakoError(`--userns=keep-id needs subordinate ids: no entry for ${name ?? uid} in ${missing}`);
    return {
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
      note: `note: no entry for ${name ?? uid} in ${missing}: containers map only root (to uid ${uid}); add a range there for more ids`,
    };
  }
  return {
    uidMappings: layout(uid, mode === 'keep-id' ? uid : 0, subuids),
    gidMappings: layout(gid, mode === 'keep-id' ? gid : 0, subgids),
  };
}

/** `own` at container id `at`, the ranges in order on every other id from 0 up. */
export function layout(own: number, at: number, ranges: SubidRange[]): IdMapping[] {
  const out: IdMapping[] = [{ containerID: at, hostID: own, size: 1 }];
  let cid = 0;
  for (const r of ranges) {
    let host = r.first;
    let left = r.count;
    while (left > 0) {
      if (cid === at) cid++;
      const size = cid < at ? Math.min(left, at - cid) : left;
      out.push({ containerID: cid, hostID: host, size });
      cid += size;
      host += size;
      left -= size;
    }
  }
  return out.sort((a, b) => a.containerID - b.containerID);
}

/** How many container ids the maps hold (one past the highest): a uid beyond cannot exist inside. */
export function mappedIds(maps: IdMapping[]): number {
  return Math.max(0, ...maps.map((m) => m.containerID + m.size));
}

/** How the rootless store unpacks a layer: owners kept (the worker runs in the store's user
 *  namespace, so they land in the subordinate ids), each checked against what the maps hold first,
 *  so that an owner beyond them is one line naming the file to add ids to; device nodes skipped (a
 *  user namespace cannot make them; moby and containers/storage skip them there too); overlay
 *  markers as user.overlay.* (the mount inside the container reads them with userxattr). */
export function rootlessUnpackOptions(): UnpackOptions {
  const maps = userMaps();
  const holds = (m: IdMapping[], file: string) => {
    const size = mappedIds(m);
    return { ids: [{ containerID: 0, hostID: 0, size }], why: `this user's containers hold ids 0-${size - 1} (${maps.note ? 'no' : 'the'} entry in ${file})` };
  };
  const uid = holds(maps.uidMappings, SUBUID_FILE);
  const gid = holds(maps.gidMappings, SUBGID_FILE);
  return {
    preserveOwnership: true,
    idMap: { uidMappings: uid.ids, gidMappings: gid.ids, why: { uid: uid.why, gid: gid.why } },
    overlayXattrs: 'user',
    devices: 'skip',
  };
}

let pause: Pause | undefined;

/** Joins (making it if need be) the user's shared namespace for this process's tool modes (rmtree,
 *  unpack) and containers, once; this process stays registered as its user until it exits. */
export async function enterStoreUserns(onNote?: (message: string) => void, exitCode = 1): Promise<void> {
  if (pause || !isRootless()) return;
  const maps = userMaps();
  if (maps.note) onNote?.(maps.note);
  try {
    pause = await ensurePause(maps, onNote);
  } catch (e) {
    throw e instanceof HakoError ? new HakoError(e.message, exitCode) : e;
  }
  setStoreUserns(pause.userns);
  process.once('exit', leaveStoreUserns);
}

/** The shared namespace this process joined (enterStoreUserns), for containers to join. */
export async function sharedUserns(): Promise<string> {
  return (await sharedPause()).userns;
}

/** Its holder (whose network namespace is the rootless one). */
export async function sharedPause(): Promise<Pause> {
  await enterStoreUserns();
  return pause!;
}

/** Done with it (a library user done with the engine; the CLI's exit does this): the holder ends
 *  when nothing else uses it. */
export function leaveStoreUserns(): void {
  setStoreUserns(undefined);
  if (!pause) return;
  pause = undefined;
  try {
    releasePause();
  } catch {
    /* at exit: the next command ends it */
  }
}

let delegation: Delegation | undefined;

/** The user's delegated cgroup v2 subtree (systemd's user@UID.service, found from /proc/self/cgroup
 *  as podman does without systemd: src/cgroups/delegation.ts), or why there is none. Once a process. */
export function rootlessDelegation(): Delegation {
  delegation ??= findDelegation();
  return delegation;
}

/** Why the limit flags cannot be honoured here, or undefined: a delegated subtree with memory, pids
 *  and cpu. Never on cgroup v1 or the hybrid layout: an ordinary user makes no cgroups there. */
export function noDelegationReason(): string | undefined {
  return missingControllers(rootlessDelegation(), LIMIT_CONTROLLERS);
}

/** Whether this user has a cgroup subtree of its own to put containers in. */
export function cgroupDelegated(): boolean {
  return noDelegationReason() === undefined;
}

/** A rootless container's cgroup: <delegation>/hako/<id>, a sibling of the cgroup we run in (v2
 *  lets only leaves hold processes). Without a delegation /hako/<id>, which the runtime then leaves
 *  out (no limits asked for) as runc does rootless. */
export function rootlessCgroupsPath(id: string): string {
  const d = rootlessDelegation();
  return 'parent' in d ? path.posix.join(d.parent, 'hako', id) : `/hako/${id}`;
}

/** Refuses, in one line, what needs the container's cgroup when it has none (stats, pause, update). */
export function needCgroup(what: string): void {
  if (!isRootless() || cgroupDelegated()) return;
  throw new HakoError(`${what}: rootless containers have no cgroup on this host: that needs cgroup v2 with a subtree delegated to uid ${process.geteuid!()}`);
}

/** Limit flags need a cgroup of the user's own: cgroup v2 with a delegated subtree (systemd's
 *  user@UID.service). Where there is none, each is refused in one line rather than ignored. */
export function checkRootlessLimits(opts: Pick<RunOptions, 'memory' | 'memorySwap' | 'cpus' | 'cpuShares' | 'pidsLimit'>, why: string | undefined): void {
  if (why === undefined) return;
  const asked = (
    [
      ['--memory', opts.memory],
      ['--memory-swap', opts.memorySwap],
      ['--cpus', opts.cpus],
      ['--cpu-shares', opts.cpuShares],
      ['--pids-limit', opts.pidsLimit !== undefined && opts.pidsLimit > 0 ? opts.pidsLimit : undefined],
    ] as const
  ).find(([, v]) => v !== undefined);
  if (asked) {
    throw new HakoError(`${asked[0]}: rootless limits need cgroup v2 with a subtree delegated to uid ${process.geteuid!()} (systemd's user@.service): ${why}`);
  }
}

/** What the rootless engine changes in a container's config.json: the user's shared user namespace
 *  (`joinUserns`: its path, pointed at the live holder again at every start) or, without one
 *  (keep-id), a namespace of its own with `maps`, the overlay mounted inside it, no cgroup limits (devices are the only rules left:
 *  they need no cgroup), /sys bound from the host when there is no network namespace of its own
 *  (sysfs needs one the user namespace owns), and a user the maps can hold. */
export function applyRootless(
  spec: Spec,
  maps: UserMaps,
  rootfsMount: { source: string; fstype: string; flags: number; data: string } | undefined,
  joinUserns?: string,
): void {
  const linux = spec.linux!;
  linux.namespaces = [...(linux.namespaces ?? []).filter((n) => n.type !== 'user'), joinUserns ? { type: 'user', path: joinUserns } : { type: 'user' }];
  if (!joinUserns) {
    linux.uidMappings = maps.uidMappings;
    linux.gidMappings = maps.gidMappings;
  }
  // Limits only below a delegated cgroup (checkRootlessLimits refused them otherwise). There, no
  // device rules: the kernel refuses an ordinary user's eBPF filter, and the user cannot mknod
  // anyway (runc skips them in a user namespace too).
  if (!cgroupDelegated()) linux.resources = linux.resources?.devices ? { devices: linux.resources.devices } : {};
  else delete linux.resources?.devices;
  // docker's oom_score_adj 0 is written as the container's root: not the user under keep-id, and
  // then /proc/self is not its to write. The container keeps the user's own, as podman's does.
  delete spec.process!.oomScoreAdj;
  if (rootfsMount) {
    const { source, fstype, flags, data } = rootfsMount;
    spec.annotations = { ...spec.annotations, [ROOTFS_MOUNT_ANNOTATION]: JSON.stringify({ source, fstype, flags, data }) };
  }
  const single = mappedIds(maps.gidMappings) === 1;
  if (!linux.namespaces.some((n) => n.type === 'network' && !n.path)) {
    spec.mounts = spec.mounts!.filter((m) => m.destination !== '/sys');
    spec.mounts.splice(0, 0, { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  }
  if (single) spec.mounts = spec.mounts!.map((m) => (m.destination === '/dev/pts' ? { ...m, options: m.options!.filter((o) => o !== 'gid=5') } : m));
  const user = spec.process!.user;
  const beyond = (ids: number[], m: IdMapping[]) => ids.find((id) => id >= mappedIds(m));
  const uid = beyond([user.uid], maps.uidMappings);
  const gid = beyond([user.gid, ...(single ? [] : (user.additionalGids ?? []))], maps.gidMappings);
  if (uid !== undefined || gid !== undefined) {
    const [kind, id, file, m] = uid !== undefined ? ['uid', uid, SUBUID_FILE, maps.uidMappings] : ['gid', gid!, SUBGID_FILE, maps.gidMappings];
    throw new HakoError(
      `${kind} ${id} is not mapped: this user's containers hold ${kind}s 0-${mappedIds(m) - 1} (${maps.note ? `no entry in ${file}` : `the ranges in ${file}`})`,
    );
  }
  // A single-id namespace denies setgroups: the process keeps the groups it has.
  if (single) user.additionalGids = [];
}

/** What runc and crun need besides applyRootless: without a delegated cgroup, no cgroup at all
 *  (runc's rootless cgroup manager tolerates an unwritable hierarchy only when nothing is asked of
 *  it, device rules included; crun is run with --cgroup-manager=disabled, runtime-external.ts), as
 *  podman's rootless spec has on cgroup v1. The runtime makes the user namespace from the spec's
 *  maps itself (newuidmap/newgidmap, as it does for podman). */
export function rootlessForExternal(spec: Spec): void {
  // runc 1.1 refuses supplementary groups in any rootless container ("cannot set any additional
  // groups"): the process keeps its primary group only, as podman's rootless containers have it.
  if (spec.process?.user) spec.process.user.additionalGids = [];
  if (cgroupDelegated()) return;
  delete spec.linux!.resources;
  delete spec.linux!.cgroupsPath;
}
