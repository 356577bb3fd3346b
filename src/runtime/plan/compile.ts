// config.json -> plan. Every decision about how a container is built is made here, in the order the
// kernel and the OCI spec require; native/hako-init only executes the result.
//
// Order (runc's, for the same reasons):
//   helper:  join namespaces by path (user first) -> unshare user -> [sync userns: maps written]
//            -> unshare the rest -> time offsets -> fork
//   child:   propagation -> rootfs bind -> config mounts -> devices -> [sync createRuntime, if hooks]
//            -> createContainer hooks -> console/fifo opened -> pivot_root -> console (or the host's
//            /dev/null as stdio swapped for the container's) -> sysctl
//            -> masked/readonly paths -> root readonly -> hostname -> oom/rlimits -> umask
//            -> bounding set -> uid/gid -> capabilities -> no_new_privs -> resolve exe
//            -> ready -> wait for start -> startContainer hooks -> seccomp -> exec
import fs from 'node:fs';
import path from 'node:path';
import type { Hook, Mount, Namespace, NamespaceType, Process, Spec } from '../../oci/types.js';
import { ConfigError } from '../../util/errors.js';
import { ROOTFS_MOUNT_ANNOTATION, ROOTFS_MOUNTNS_ANNOTATION } from '../../oci/names.js';
import {
  capabilityMask,
  MS_BIND,
  MS_RDONLY,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_REC,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_UNBINDABLE,
  NAMESPACE_FLAGS,
  parseMountOptions,
  RLIMITS,
  rlimitValue,
} from '../../oci/names.js';
import { op, type Op } from '../../native/ops.js';
import { hostHasAppArmor, hostHasSELinux } from '../features.js';

export interface PlanContext {
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** Bundle directory: relative mount sources are relative to it. */
  bundle: string;
  /** The start barrier FIFO. */
  fifo: string;
  /** `exit`: create (the container outlives us); `wait`: foreground run, the helper stays as parent;
   *  `exit-synced`: create for conmon, whose pid file must be written before the helper exits. */
  forkMode: 'exit' | 'wait' | 'exit-synced';
  /** Where the pty master goes when process.terminal: a console socket path or `@relay` (foreground run). */
  console?: string;
  /** The cgroup v1 hierarchies or v2, for the /sys/fs/cgroup mount. */
  cgroupMounts?: CgroupMountInfo;
  /** Seccomp filter for hako-init: PROFILE text or a cached compiled blob (src/runtime/seccomp). */
  seccompProfile?: string | Buffer;
  /** linux.seccomp.listenerPath of a notify filter. */
  seccompListener?: string;
  /** runc's --preserve-fds N: the helper got the caller's fds 3..3+N-1 at `first`.. (native/launch.ts). */
  preserveFds?: { first: number; count: number };
  /** Stop at the createRuntime point even without hooks: the caller has work to do there
   *  (CreateOptions.onCreated). */
  syncCreateRuntime?: boolean;
}

export interface CgroupMountInfo {
  version: 1 | 2;
  /** v1: hierarchy directory names under /sys/fs/cgroup and their mount data (e.g. `memory` -> `memory`,
   *  `systemd` -> `none,name=systemd`); v2: unused. */
  hierarchies: { dir: string; data: string; hostPath: string }[];
  /** The container's cgroup directory on the host (v2) for bind mounts without a cgroup namespace. */
  hostPath?: string;
}

const DEFAULT_DEVICES = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];

/**
 * Stdio that is one of the host's nodes of these devices (`</dev/null` given to the runtime, Node's
 * `'ignore'`) is swapped for the container's own node once the container's root is `/` (runc does
 * it for /dev/null): otherwise the container's root could chmod or chown the host's /dev/null
 * through /proc/self/fd/0. A pty from `console` is the container's own; /dev/tty names whichever
 * terminal a process has, so it is not one of them. See op_reopen_stdio in native/process.c.
 */
export function reopenStdioOp(): Op {
  return op('reopen_stdio', ...DEFAULT_DEVICES.filter((d) => d.path !== '/dev/tty').flatMap((d) => [d.path, String(d.major), String(d.minor)]));
}

const DEV_SYMLINKS: [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
];

const S_IFCHR = 0o020000,
  S_IFBLK = 0o060000,
  S_IFIFO = 0o010000;

export function namespaceMap(spec: Spec): Map<NamespaceType, Namespace> {
  return new Map((spec.linux?.namespaces ?? []).map((ns) => [ns.type, ns]));
}

function rootfsMount(spec: Spec, ownUserAndMountNs: boolean): { source: string; fstype: string; flags: number; data: string } | undefined {
  const text = spec.annotations?.[ROOTFS_MOUNT_ANNOTATION];
  if (text === undefined) return undefined;
  const field = `annotations["${ROOTFS_MOUNT_ANNOTATION}"]`;
  if (!ownUserAndMountNs) throw new ConfigError(field, 'needs a user namespace and a new mount namespace');
  let m: { source?: unknown; fstype?: unknown; flags?: unknown; data?: unknown };
  try {
    m = JSON.parse(text);
  } catch {
    throw new ConfigError(field, 'must be JSON {source, fstype, flags, data}');
  }
  if (typeof m?.source !== 'string' || typeof m.fstype !== 'string' || typeof m.data !== 'string' || !Number.isSafeInteger(m.flags)) {
    throw new ConfigError(field, 'must be JSON {source, fstype, flags, data}');
  }
  return { source: m.source, fstype: m.fstype, flags: m.flags as number, data: m.data };
}

function rootfsMountns(spec: Spec, joinedUserNewMount: boolean): string | undefined {
  const text = spec.annotations?.[ROOTFS_MOUNTNS_ANNOTATION];
  if (text === undefined) return undefined;
  const field = `annotations["${ROOTFS_MOUNTNS_ANNOTATION}"]`;
  if (!joinedUserNewMount) throw new ConfigError(field, 'needs a user namespace joined by path and a new mount namespace');
  if (!text.startsWith('/')) throw new ConfigError(field, 'must be an absolute path');
  return text;
}

/** What the phases of compilePlan share: the spec's parts and facts derived once. */
interface PlanInput {
  spec: Spec;
  ctx: PlanContext;
  process: Process;
  linux: NonNullable<Spec['linux']>;
  nss: Map<NamespaceType, Namespace>;
  newNs: (t: NamespaceType) => boolean;
  userns: boolean;
  /** A mount namespace of our own or joined by path is the container's to change: the rootfs is
   *  prepared in it and pivot_root'ed into. Without one (runc accepts that too) the mounts are made
   *  in the caller's namespace beneath the rootfs, the root's propagation is left alone, the
   *  process is chroot'ed, and `delete` detaches what was mounted. */
  ownMounts: boolean;
  /** The console socket is connected before the fork (see namespaceOps). */
  consoleEarly: boolean;
}

export function compilePlan(spec: Spec, ctx: PlanContext): Op[] {
  const process = spec.process!;
  const nss = namespaceMap(spec);
  // A uts namespace joined by path is the container's too (runc sets the hostname there).
  if ((spec.hostname || spec.domainname) && !nss.has('uts')) {
    throw new ConfigError('hostname', 'setting a hostname needs a uts namespace');
  }
  const input: PlanInput = {
    spec,
    ctx,
    process,
    linux: spec.linux ?? {},
    nss,
    newNs: (t) => nss.has(t) && !nss.get(t)!.path,
    userns: nss.has('user'),
    ownMounts: nss.has('mount'),
    // A host path: connected as the caller (runc does too), not from inside a new user namespace
    // that may not be allowed to reach it.
    consoleEarly: Boolean(process.terminal && ctx.console && ctx.console !== '@relay'),
  };
  const { ops, trees } = namespaceOps(input);
  ops.push(...rootfsOps(input, trees), ...finishOps(input));
  return ops;
}

/** In the helper, before the fork: fds, the barrier, bind sources, joining and making namespaces. */
function namespaceOps(p: PlanInput): { ops: Op[]; trees: Map<number, number> } {
  const { ctx, linux, nss, newNs } = p;
  const ops: Op[] = [];
  // First, so that no fd the helper opens lands on 3..3+N-1 (native/README.md).
  if (ctx.preserveFds?.count) ops.push(op('preserve_fds', String(ctx.preserveFds.first), String(ctx.preserveFds.count)));
  // The barrier is opened (O_PATH) while we are still the runtime's user: from inside a user
  // namespace the state directory may not even be searchable. runc passes it the same way.
  ops.push(op('open_fifo', ctx.fifo));
  if (p.consoleEarly) ops.push(op('console_socket', ctx.console!));
  // Likewise bind sources, for a new user namespace with a new mount namespace: cloned while we
  // still act as the caller (open_tree) and attached inside, so a source beneath a directory only
  // the caller may search still works. Cloning needs CAP_SYS_ADMIN over the mount namespace, so a
  // root caller clones before entering anything; a rootless one right after making the user and
  // mount namespaces, before it becomes the namespace's root (its host uid and groups still the
  // caller's: the namespace's root may be another, subordinate uid).
  const trees = new Map<number, number>();
  const rootless = globalThis.process.getuid?.() !== 0;
  const cloneTrees = newNs('user') && newNs('mount');
  if (cloneTrees && !rootless) ops.push(...bindTreeOps(p, trees));
  const joined = sortForJoining([...nss.values()].filter((ns) => ns.path));
  for (const ns of joined) ops.push(op('setns', ns.path!, String(NAMESPACE_FLAGS[ns.type])));
  const mountns = rootfsMountns(p.spec, Boolean(nss.get('user')?.path) && newNs('mount'));
  if (mountns) ops.push(op('setns', mountns, String(NAMESPACE_FLAGS.mount)));
  // Our host uid may not be mapped inside: files we create would fail with EOVERFLOW. Become the
  // namespace's root (when it has one) for the rest of the set-up.
  const becomeRoot = newNs('user') && mapsZero(linux.uidMappings) && mapsZero(linux.gidMappings) ? [op('user', '0', '0', '-')] : [];
  if (newNs('user')) ops.push(op('unshare', String(NAMESPACE_FLAGS.user)), op('sync', 'userns'));
  if (!rootless) ops.push(...becomeRoot);
  let flags = 0;
  for (const ns of nss.values()) if (!ns.path && ns.type !== 'user') flags |= NAMESPACE_FLAGS[ns.type];
  if (flags) ops.push(op('unshare', `0x${flags.toString(16)}`));
  if (cloneTrees && rootless) ops.push(...bindTreeOps(p, trees));
  if (rootless) ops.push(...becomeRoot);
  if (newNs('time') && linux.timeOffsets) {
    for (const [clock, off] of Object.entries(linux.timeOffsets)) {
      ops.push(op('write', '/proc/self/timens_offsets', `${clock} ${off.secs ?? 0} ${off.nanosecs ?? 0}`));
    }
  }
  ops.push(op('fork', ctx.forkMode, p.process.terminal ? (ctx.console === '@relay' ? 'relay' : 'socket') : 'none'));
  return { ops, trees };
}

/** open_tree of every bind source (numbered in `trees` by mount index), for attaching inside. */
function bindTreeOps(p: PlanInput, trees: Map<number, number>): Op[] {
  const ops: Op[] = [];
  for (const [i, m] of (p.spec.mounts ?? []).entries()) {
    if (!isBind(m) || m.type === 'cgroup' || m.type === 'cgroup2') continue;
    const { source } = bindSource(m, i, p.ctx);
    trees.set(i, trees.size);
    ops.push(op('open_tree', String(trees.size - 1), source, parseMountOptions(m.options ?? []).flags & MS_REC ? '1' : '0'));
  }
  return ops;
}

/** In the container process: the root made a private mount point, the config's mounts, /dev. */
function rootfsOps(p: PlanInput, trees: Map<number, number>): Op[] {
  const { ctx, linux, newNs, userns } = p;
  const ops: Op[] = [];
  const root = ctx.rootfs;
  if (p.ownMounts) ops.push(op('mount', '', '', '/', '', String(buildPropagation(linux.rootfsPropagation)), '', 'none'));
  // The user namespace may be joined (the rootless engine's shared one): the new mount namespace is
  // then owned by it, which is what mounting the overlay inside needs.
  const rootMount = rootfsMount(p.spec, newNs('mount') && userns);
  if (rootMount) ops.push(op('mount', '', rootMount.source, root, rootMount.fstype, String(rootMount.flags), rootMount.data, 'none'));
  // pivot_root needs the new root to be a mount point that is not shared; a chroot'ed root must be
  // one too, so that making it read-only cannot remount the host's file system.
  ops.push(op('mount', '', root, root, '', String(MS_BIND | MS_REC), '', 'none'));
  ops.push(op('mount', '', '', root, '', String(MS_PRIVATE), '', 'none'));

  let devIsTmpfs = false;
  let hasDevPts = false;
  // A read-only tmpfs with mounts (or device nodes) to be made beneath it is mounted writable and
  // made read-only once they are in place, as runc does for a read-only /dev. (Others, sysfs say,
  // already have the directories their submounts need.)
  const readonlyLater: Op[] = [];
  const mounts = p.spec.mounts ?? [];
  for (const [i, m] of mounts.entries()) {
    if (m.destination === '/dev' && !isBind(m)) devIsTmpfs = true;
    if (m.destination === '/dev/pts') hasDevPts = true;
    const under = `${m.destination.replace(/\/+$/, '')}/`;
    const deferReadonly = m.type === 'tmpfs' && !isBind(m) && (m.destination === '/dev' || mounts.slice(i + 1).some((n) => n.destination.startsWith(under)));
    ops.push(
      ...mountOps(m, i, root, ctx, {
        userns,
        newNet: newNs('network'),
        newCgroupNs: newNs('cgroup'),
        readonlyLater: deferReadonly ? readonlyLater : undefined,
        tree: trees.get(i),
      }),
    );
  }

  if (devIsTmpfs) {
    for (const d of DEFAULT_DEVICES) ops.push(...deviceOps(root, d.path, 'c', d.major, d.minor, 0o666, 0, 0, userns));
    for (const [target, link] of DEV_SYMLINKS) ops.push(op('symlink', root, target, link));
    if (fs.existsSync('/proc/kcore')) ops.push(op('symlink', root, '/proc/kcore', '/dev/core'));
    if (hasDevPts) ops.push(op('symlink', root, 'pts/ptmx', '/dev/ptmx'));
  }
  for (const [i, d] of (linux.devices ?? []).entries()) {
    if (!d.path.startsWith('/dev/')) throw new ConfigError(`linux.devices[${i}].path`, `must be under /dev, got "${d.path}"`);
    ops.push(...deviceOps(root, d.path, d.type, d.major ?? 0, d.minor ?? 0, d.fileMode ?? 0o666, d.uid ?? 0, d.gid ?? 0, userns));
  }
  ops.push(...readonlyLater);
  return ops;
}

/** Hooks, the console, pivot_root, what is made read-only or masked, names, then the process. */
function finishOps(p: PlanInput): Op[] {
  const { spec, ctx, process, linux, nss, newNs, ownMounts } = p;
  const ops: Op[] = [];
  const root = ctx.rootfs;
  const hooks = spec.hooks ?? {};
  // The runtime runs prestart/createRuntime hooks here and sends the state JSON that in-container
  // hooks read on stdin. Without hooks the round trip would only cost time.
  const anyHook = ['prestart', 'createRuntime', 'createContainer', 'startContainer'].some((k) => (hooks[k as keyof typeof hooks] ?? []).length > 0);
  if (anyHook || ctx.syncCreateRuntime) ops.push(op('sync', 'createRuntime'));
  for (const h of hooks.createContainer ?? []) ops.push(hookOp(h));

  if (process.terminal) {
    if (!ctx.console) throw new ConfigError('process.terminal', 'a terminal needs --console-socket (or a foreground run)');
    if (!p.consoleEarly) ops.push(op('console_socket', ctx.console));
  }
  if (ctx.seccompListener) ops.push(op('seccomp_listener', ctx.seccompListener));
  ops.push(!ownMounts ? op('chroot', root, 'in-place') : isRamfs(root) ? op('chroot', root) : op('pivot_root', root));
  // The requested propagation of the container's root: after pivot_root, so a shared root is
  // shared with the container's own mounts, never the host's (runc does the same).
  const rootFlags = finalPropagation(linux.rootfsPropagation);
  if (rootFlags && ownMounts) ops.push(op('mount', '', '', '/', '', String(rootFlags), '', 'none'));
  // runc and crun create a missing cwd (docker's -w relies on it): here, as the container's root,
  // before anything is made read-only.
  if (process.cwd !== '/') ops.push(op('mkdirs', process.cwd));
  if (process.terminal) ops.push(consoleOp(process, ctx.console));
  else ops.push(reopenStdioOp());

  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    ops.push(op('write', `/proc/sys/${key.replace(/\./g, '/')}`, value));
  }
  for (const m of linux.maskedPaths ?? []) ops.push(op('mask', m));
  for (const r of linux.readonlyPaths ?? []) ops.push(op('readonly', r, '1'));
  if (spec.root?.readonly) ops.push(op('readonly', '/', '0'));
  // A network namespace of the container's own starts with lo down; runc brings it up.
  if (newNs('network')) ops.push(op('lo_up'));
  if (spec.hostname !== undefined && nss.has('uts')) ops.push(op('sethostname', spec.hostname));
  if (spec.domainname !== undefined && nss.has('uts')) ops.push(op('setdomainname', spec.domainname));
  if (process.oomScoreAdj !== undefined) ops.push(op('write', '/proc/self/oom_score_adj', String(process.oomScoreAdj)));
  ops.push(
    ...processOps(spec, process, ctx.seccompProfile, {
      barrier: true,
      notify: Boolean(ctx.seccompListener),
      preservedFds: ctx.preserveFds?.count ?? 0,
    }),
  );
  return ops;
}

/**
 * The last steps of any process hako starts in a container, the init or an exec'd one: limits,
 * credentials, capabilities, seccomp, exec. With `barrier`, the process reports ready and waits for
 * `start` before its startContainer hooks; an exec'd process reports ready just before exec.
 */
export function processOps(
  spec: Spec,
  process: Process,
  seccompProfile: string | Buffer | undefined,
  opts: { barrier: boolean; notify?: boolean; preservedFds?: number },
): Op[] {
  const ops: Op[] = [];
  const hooks = spec.hooks ?? {};
  for (const [i, r] of (process.rlimits ?? []).entries()) {
    const res = RLIMITS[r.type];
    if (res === undefined) throw new ConfigError(`process.rlimits[${i}].type`, `unknown rlimit "${r.type}"`);
    ops.push(op('rlimit', String(res), String(rlimitValue(r.soft)), String(rlimitValue(r.hard))));
  }
  ops.push(op('umask', String(process.user.umask ?? 0o022)));

  const caps = process.capabilities ?? {};
  const masks = Object.fromEntries(
    (['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const).map((set) => [
      set,
      capabilityMask(caps[set] ?? [], `process.capabilities.${set}`),
    ]),
  );
  // The kernel only lets a capability be ambient if it is permitted and inheritable; runc skips the
  // others (with a warning), and runc's own default spec relies on that.
  masks.ambient &= masks.permitted & masks.inheritable;
  const mask = (set: keyof typeof caps) => `0x${masks[set].toString(16)}`;
  const env = process.env ?? [];
  const seccompEarly = seccompProfile !== undefined && !process.noNewPrivileges;
  // Without no_new_privs an unprivileged process may not load a filter: load it while still root.
  // Every operation after it must then survive a profile that refuses syscalls it does not know
  // (close_fds falls back from close_range). A notify filter's listener goes out with the
  // container's state, which must be here before the filter is.
  if (seccompEarly) {
    if (opts.notify) ops.push(op('sync', 'seccomp'));
    ops.push(op('seccomp', seccompProfile!));
  }
  ops.push(op('caps_bounding', mask('bounding')));
  // Without HOME in the environment, runc and crun take it from the container's /etc/passwd;
  // programs and engines (containerd, Kubernetes) count on that. Read while still root.
  if (!env.some((e) => e.startsWith('HOME='))) ops.push(op('home', String(process.user.uid)));
  // runc enters the cwd while still root (a cwd only root may search works), and again as the
  // user only where that failed.
  ops.push(op('chdir', process.cwd, 'early'));
  ops.push(op('user', String(process.user.uid), String(process.user.gid), groupsArg(spec, process)));
  ops.push(op('caps', mask('effective'), mask('permitted'), mask('inheritable'), mask('ambient')));
  if (process.noNewPrivileges) ops.push(op('no_new_privs'));
  ops.push(op('chdir', process.cwd));
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '';
  ops.push(op('resolve', process.args![0], pathVar));
  // Preserved fds (preserve_fds put them at 3..3+N-1) stay open across exec; every other one closes.
  ops.push(opts.preservedFds ? op('close_fds', String(3 + opts.preservedFds)) : op('close_fds'));
  // The notify listener goes out with the container's state; the runtime builds it now, while it
  // is still listening (create returns at `ready`).
  if (opts.notify && !seccompEarly) ops.push(op('sync', 'seccomp'));
  // As close to exec as runc loads it: before `ready`, so startContainer hooks run under it too.
  if (seccompProfile !== undefined && !seccompEarly) ops.push(op('seccomp', seccompProfile));
  ops.push(op('ready'));
  if (opts.barrier) {
    ops.push(op('wait_fifo'));
    for (const h of hooks.startContainer ?? []) ops.push(hookOp(h));
  }
  // LSM labels take effect at execve: written last, for the exec only.
  if (process.apparmorProfile) {
    if (!hostHasAppArmor())
      throw new ConfigError('process.apparmorProfile', `"${process.apparmorProfile}" asked for, but AppArmor is not enabled on this host`);
    ops.push(op('write', '/proc/self/attr/apparmor/exec', `exec ${process.apparmorProfile}`));
  }
  if (process.selinuxLabel) {
    if (!hostHasSELinux()) throw new ConfigError('process.selinuxLabel', `"${process.selinuxLabel}" asked for, but SELinux is not enabled on this host`);
    ops.push(op('write', '/proc/self/attr/exec', process.selinuxLabel));
  }
  ops.push(op('exec', String(process.args!.length), ...process.args!, ...env));
  return ops;
}

/** The user namespace first (it grants the privileges to join the others), the mount namespace
 *  last (after it, /proc paths name the container's view, not the host's). */
export function sortForJoining<T extends { type: NamespaceType }>(nss: T[]): T[] {
  const rank = (t: NamespaceType) => (t === 'user' ? 0 : t === 'mount' ? 2 : 1);
  return [...nss].sort((a, b) => rank(a.type) - rank(b.type));
}

function mapsZero(maps: { containerID: number; size: number }[] | undefined): boolean {
  return (maps ?? []).some((m) => m.containerID <= 0 && m.containerID + m.size > 0);
}

/** The propagation of every mount while the rootfs is built: rslave unless private or slave was
 *  asked for. A shared root would propagate the container's mounts to the host. */
function buildPropagation(value: string | undefined): number {
  switch (value) {
    case undefined:
    case '':
    case 'rslave':
      return MS_SLAVE | MS_REC;
    case 'slave':
      return MS_SLAVE;
    case 'private':
      return MS_PRIVATE;
    case 'rprivate':
      return MS_PRIVATE | MS_REC;
    case 'shared':
    case 'rshared':
    case 'unbindable':
    case 'runbindable':
      return MS_SLAVE | MS_REC;
    default:
      throw new ConfigError('linux.rootfsPropagation', `unknown propagation "${value}"`);
  }
}

/** shared and unbindable apply to the container's root after pivot_root; 0: nothing more to do. */
function finalPropagation(value: string | undefined): number {
  switch (value) {
    case 'shared':
      return MS_SHARED;
    case 'rshared':
      return MS_SHARED | MS_REC;
    case 'unbindable':
      return MS_UNBINDABLE;
    case 'runbindable':
      return MS_UNBINDABLE | MS_REC;
    default:
      return 0;
  }
}

function isBind(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function isRamfs(dir: string): boolean {
  try {
    return fs.statfsSync(dir).type === 0x858458f6;
  } catch {
    return false;
  }
}

interface MountEnv {
  userns: boolean;
  newNet: boolean;
  newCgroupNs: boolean;
  /** Set when other mounts or devices go beneath this one: a read-only remount goes here instead. */
  readonlyLater?: Op[];
  /** A bind source cloned before the user namespace was entered (open_tree N): attach tree N. */
  tree?: number;
}

/** A bind mount's source on the host (relative ones against the bundle) and whether it is a directory. */
function bindSource(m: Mount, i: number, ctx: PlanContext): { source: string; isDir: boolean } {
  const field = `mounts[${i}]`;
  if (!m.source) throw new ConfigError(`${field}.source`, 'a bind mount needs a source');
  const source = path.resolve(ctx.bundle, m.source);
  try {
    return { source, isDir: fs.statSync(source).isDirectory() };
  } catch {
    throw new ConfigError(`${field}.source`, `"${source}" does not exist`);
  }
}

function mountOps(m: Mount, i: number, root: string, ctx: PlanContext, env: MountEnv): Op[] {
  const field = `mounts[${i}]`;
  if (!m.destination.startsWith('/')) throw new ConfigError(`${field}.destination`, `must be an absolute path, got "${m.destination}"`);
  const opts = parseMountOptions(m.options ?? []);
  // Parsed, but not done yet: refuse rather than silently mount without them.
  if (opts.idmap || m.uidMappings || m.gidMappings) throw new ConfigError(`${field}.options`, 'id-mapped mounts are not supported yet');
  const data = opts.data.join(',');
  const ops: Op[] = [];
  if (env.readonlyLater && opts.flags & MS_RDONLY) {
    env.readonlyLater.push(op('mount', root, '', m.destination, '', String(MS_REMOUNT | (opts.flags & ~MS_REC)), data, 'none'));
    opts.flags &= ~MS_RDONLY;
  }
  // Propagation, then runc's recursive attributes (rro, rnosuid, …) over the mount and everything
  // beneath it, last, as runc applies them.
  const propagate = () => {
    for (const p of opts.propagation) ops.push(op('mount', root, '', m.destination, '', String(p), '', 'none'));
    if (opts.recAttrSet || opts.recAttrClr) ops.push(op('mount_setattr', root, m.destination, String(opts.recAttrSet), String(opts.recAttrClr)));
  };

  if (m.type === 'cgroup' || m.type === 'cgroup2') return cgroupMountOps(m, root, ctx, opts.flags, env.newCgroupNs);

  // sysfs can only be mounted by the owner of the network namespace; share the host's otherwise.
  if (m.type === 'sysfs' && env.userns && !env.newNet) {
    return mountOps({ ...m, type: 'bind', source: '/sys', options: ['rbind', ...(m.options ?? [])] }, i, root, ctx, env);
  }

  if (isBind(m)) {
    const { source, isDir } = bindSource(m, i, ctx);
    const from = env.tree !== undefined ? `@tree:${env.tree}` : source;
    ops.push(op('mount', root, from, m.destination, '', String(MS_BIND | (opts.flags & MS_REC)), '', isDir ? 'dir' : 'file'));
    const rest = opts.flags & ~(MS_BIND | MS_REC);
    // A bind mount ignores every flag but MS_REC; the others need a remount of the new mount.
    if (rest) ops.push(op('mount', root, '', m.destination, '', String(MS_BIND | MS_REMOUNT | rest), '', 'none'));
    propagate();
    return ops;
  }
  // tmpcopyup (podman's --tmpfs and --read-only): the tmpfs starts with a copy of what it covers.
  // runc and crun honour it on tmpfs only, and ignore it elsewhere.
  if (m.type === 'tmpfs' && opts.tmpcopyup) ops.push(op('mount_copyup', root, m.destination, String(opts.flags), data));
  else ops.push(op('mount', root, m.source ?? m.type ?? 'none', m.destination, m.type ?? '', String(opts.flags), data, 'dir'));
  propagate();
  return ops;
}

/** /sys/fs/cgroup: with a cgroup namespace the kernel shows the container's cgroup as the root, so a
 *  fresh cgroup mount per hierarchy is right; without one, bind the container's own cgroup directories. */
function cgroupMountOps(m: Mount, root: string, ctx: PlanContext, flags: number, newCgroupNs: boolean): Op[] {
  const info = ctx.cgroupMounts;
  if (!info) return [];
  const ro = flags & 1;
  const base = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  const dest = m.destination;
  if (info.version === 2) {
    if (newCgroupNs) return [op('mount', root, 'cgroup2', dest, 'cgroup2', String(base | ro), '', 'dir')];
    return [
      op('mount', root, info.hostPath!, dest, '', String(MS_BIND | MS_REC), '', 'dir'),
      op('mount', root, '', dest, '', String(MS_BIND | MS_REMOUNT | base | ro), '', 'none'),
    ];
  }
  const ops: Op[] = [op('mount', root, 'tmpfs', dest, 'tmpfs', String(base), 'mode=755', 'dir')];
  for (const h of info.hierarchies) {
    const at = `${dest}/${h.dir}`;
    if (newCgroupNs) ops.push(op('mount', root, 'cgroup', at, 'cgroup', String(base | ro), h.data, 'dir'));
    else {
      ops.push(op('mount', root, h.hostPath, at, '', String(MS_BIND), '', 'dir'));
      ops.push(op('mount', root, '', at, '', String(MS_BIND | MS_REMOUNT | base | ro), '', 'none'));
    }
  }
  // The tmpfs holding the hierarchies is made read-only last, like runc.
  if (ro) ops.push(op('mount', root, '', dest, '', String(MS_REMOUNT | base | ro), 'mode=755', 'none'));
  return ops;
}

function deviceOps(root: string, p: string, type: string, major: number, minor: number, mode: number, uid: number, gid: number, userns: boolean): Op[] {
  // mknod is refused in a user namespace; bind the host's node instead (runc does the same).
  if (userns) return [op('mount', root, p, p, '', String(MS_BIND), '', 'file')];
  const kind = type === 'b' ? S_IFBLK : type === 'p' ? S_IFIFO : S_IFCHR;
  return [op('mknod', root, p, String(kind | (mode & 0o7777)), String(major), String(minor), String(uid), String(gid))];
}

/** The pty op. A terminal hako relays itself (a foreground run or exec) gets ONLCR cleared, as
 *  runc does for the terminals it relays: the output arrives with "\n" line ends, not "\r\n". */
export function consoleOp(process: Process, console: string | undefined): Op {
  const rows = process.consoleSize?.height ?? 0,
    cols = process.consoleSize?.width ?? 0;
  return console === '@relay' ? op('console', rows, cols, '-onlcr') : op('console', rows, cols);
}

function hookOp(h: Hook): Op {
  const args = h.args ?? [h.path];
  return op('hook', String(h.timeout ?? 0), h.path, String(args.length), ...args, ...(h.env ?? []));
}

/** Supplementary groups: set exactly additionalGids (clearing the runtime's own groups), unless a
 *  user namespace denies setgroups (rootless), where they must stay untouched. A rootless caller
 *  without additionalGids keeps its own groups even where setgroups is allowed (newgidmap ranges),
 *  as with runc, which never calls setgroups rootless: a bind source or file the caller reaches
 *  through a group stays readable in the container. */
function groupsArg(spec: Spec, process: Process): string {
  const gids = process.user.additionalGids ?? [];
  if (setgroupsDenied(spec)) {
    if (gids.length) throw new ConfigError('process.user.additionalGids', 'cannot be set: this user namespace denies setgroups (rootless, single-id mapping)');
    return '-';
  }
  if (!gids.length && globalThis.process.getuid?.() !== 0) return '-';
  return gids.join(',');
}

/** Rootless with only our own ids mapped: the kernel requires setgroups to be denied (see runtime.ts writeIdMaps). */
export function setgroupsDenied(spec: Spec): boolean {
  const nss = namespaceMap(spec);
  if (!nss.has('user') || nss.get('user')!.path || process.getuid?.() === 0) return false;
  const self = (m: { size: number; hostID: number }[] | undefined, own: number) => m?.length === 1 && m[0].size === 1 && m[0].hostID === own;
  return self(spec.linux?.uidMappings, process.getuid!()) && self(spec.linux?.gidMappings, process.getgid!());
}
