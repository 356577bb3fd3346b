// Name tables the runtime needs to turn config.json strings into kernel numbers: capabilities,
// rlimits, signals, namespace clone flags and mount options. All numbers are the x86_64 Linux ABI
// values (the only architecture hako targets); they are written out here rather than looked up so
// that the TypeScript side can compile a plan without asking the kernel or a C header.
import { readFileSync } from 'node:fs';
import { ConfigError, HakoError } from '../util/errors.js';
import type { NamespaceType } from './types.js';

// ---------------------------------------------------------------------------------------------
// Capabilities (linux/capability.h)

const CAPABILITY_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** Capability name -> bit number, CAP_CHOWN=0 ... CAP_CHECKPOINT_RESTORE=40. */
export const CAPABILITIES: Record<string, number> = Object.freeze(Object.fromEntries(CAPABILITY_NAMES.map((name, bit) => [name, bit])));

let cachedLastCap: number | undefined;

/** The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap), read once.
 *  Falls back to our table's last entry if /proc is unreadable (e.g. some sandboxes). */
export function lastCap(): number {
  if (cachedLastCap === undefined) {
    try {
      const n = Number.parseInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim(), 10);
      cachedLastCap = Number.isInteger(n) && n >= 0 ? n : CAPABILITY_NAMES.length - 1;
    } catch {
      cachedLastCap = CAPABILITY_NAMES.length - 1;
    }
  }
  return cachedLastCap;
}

/** Turns a capability list into a 64-bit mask. A name we do not know at all is a config error
 *  (`<field>[i]: unknown capability "X"`); a name we know but the running kernel does not
 *  (bit > cap_last_cap, e.g. CAP_CHECKPOINT_RESTORE on an old kernel) is skipped, so one config works
 *  across kernels. `last` exists for tests; normally the kernel's value is used. */
export function capabilityMask(names: string[], field: string, last: number = lastCap()): bigint {
  let mask = 0n;
  names.forEach((name, i) => {
    if (!Object.hasOwn(CAPABILITIES, name)) throw new ConfigError(`${field}[${i}]`, `unknown capability "${name}"`);
    const bit = CAPABILITIES[name];
    if (bit <= last) mask |= 1n << BigInt(bit);
  });
  return mask;
}

// ---------------------------------------------------------------------------------------------
// Resource limits (asm-generic/resource.h, which x86_64 uses)

export const RLIMITS: Record<string, number> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** config.json rlimit values are uint64, but JSON.parse gives doubles: 18446744073709551615
 *  (RLIM_INFINITY, common in real configs) arrives rounded up to 2^64. Anything at or above
 *  2^64-1 after rounding therefore means "unlimited". */
export function rlimitValue(n: number): bigint {
  const v = BigInt(Math.trunc(n));
  return v >= RLIM_INFINITY ? RLIM_INFINITY : v;
}

// ---------------------------------------------------------------------------------------------
// Signals (x86_64 numbering; SIGRTMIN is 34 as glibc reports it, the kernel's 32/33 are reserved)

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const BASE_SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** Other spellings accepted on input (kill(1) knows them) but never produced by signalName(). */
const SIGNAL_ALIASES: Record<string, number> = { SIGIOT: 6, SIGCLD: 17, SIGPOLL: 29 };

function buildSignals(): Record<string, number> {
  const table: Record<string, number> = { ...BASE_SIGNALS, SIGRTMIN };
  for (let i = 1; i < SIGRTMAX - SIGRTMIN; i++) table[`SIGRTMIN+${i}`] = SIGRTMIN + i;
  for (let i = SIGRTMAX - SIGRTMIN - 1; i >= 1; i--) table[`SIGRTMAX-${i}`] = SIGRTMAX - i;
  table.SIGRTMAX = SIGRTMAX;
  return table;
}

/** Canonical signal name -> number: SIGHUP..SIGSYS, SIGRTMIN, SIGRTMIN+1..+29, SIGRTMAX-29..-1, SIGRTMAX. */
export const SIGNALS: Record<string, number> = Object.freeze(buildSignals());

/** Parses what `kill` takes: a number (1-64), or a name with or without SIG, any case,
 *  including RTMIN+n / RTMAX-n. */
/** A signal name or number. `allowZero`: signal 0, kill's liveness probe (nothing is delivered). */
export function parseSignal(s: string, opts: { allowZero?: boolean } = {}): number {
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if ((n >= 1 || (n === 0 && opts.allowZero)) && n <= SIGRTMAX) return n;
    throw new HakoError(`unknown signal "${s}"`);
  }
  let name = s.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const n = Object.hasOwn(SIGNALS, name) ? SIGNALS[name] : Object.hasOwn(SIGNAL_ALIASES, name) ? SIGNAL_ALIASES[name] : undefined;
  if (n === undefined) throw new HakoError(`unknown signal "${s}"`);
  return n;
}

/** Number -> canonical name ("SIGKILL", "SIGRTMIN+3"), or undefined for numbers outside 1-64. */
export function signalName(n: number): string | undefined {
  for (const [name, value] of Object.entries(SIGNALS)) if (value === n) return name;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Namespaces (linux/sched.h clone flags, and the /proc/<pid>/ns/<name> file for each)

export const CLONE_NEWTIME = 0x00000080;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

export const NAMESPACE_FLAGS: Record<NamespaceType, number> = Object.freeze({
  mount: CLONE_NEWNS,
  uts: CLONE_NEWUTS,
  ipc: CLONE_NEWIPC,
  user: CLONE_NEWUSER,
  pid: CLONE_NEWPID,
  network: CLONE_NEWNET,
  cgroup: CLONE_NEWCGROUP,
  time: CLONE_NEWTIME,
});

/** The OCI type name -> the name of its file under /proc/self/ns/. */
export const NAMESPACE_PROC_NAMES: Record<NamespaceType, string> = Object.freeze({
  mount: 'mnt',
  uts: 'uts',
  ipc: 'ipc',
  user: 'user',
  pid: 'pid',
  network: 'net',
  cgroup: 'cgroup',
  time: 'time',
});

export const NAMESPACE_TYPES = Object.freeze(Object.keys(NAMESPACE_FLAGS) as NamespaceType[]);

export function isNamespaceType(s: string): s is NamespaceType {
  return Object.hasOwn(NAMESPACE_FLAGS, s);
}

// ---------------------------------------------------------------------------------------------
// Mount flags (linux/mount.h) and mount_setattr(2) attributes

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_SILENT = 32768;
export const MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_I_VERSION = 1 << 23;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MOUNT_ATTR_IDMAP = 0x100000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

/** Option -> [clear?, flag], the same table runc uses (libcontainer/specconv). "defaults" is a
 *  no-op: mount(8) drops it, and passing it on as data would make tmpfs & co. reject the mount. */
export const MOUNT_FLAG_OPTIONS: Record<string, [boolean, number]> = {
  defaults: [false, 0],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  nosuid: [false, MS_NOSUID],
  suid: [true, MS_NOSUID],
  nodev: [false, MS_NODEV],
  dev: [true, MS_NODEV],
  noexec: [false, MS_NOEXEC],
  exec: [true, MS_NOEXEC],
  sync: [false, MS_SYNCHRONOUS],
  async: [true, MS_SYNCHRONOUS],
  dirsync: [false, MS_DIRSYNC],
  remount: [false, MS_REMOUNT],
  mand: [false, MS_MANDLOCK],
  nomand: [true, MS_MANDLOCK],
  noatime: [false, MS_NOATIME],
  atime: [true, MS_NOATIME],
  nodiratime: [false, MS_NODIRATIME],
  diratime: [true, MS_NODIRATIME],
  bind: [false, MS_BIND],
  rbind: [false, MS_BIND | MS_REC],
  relatime: [false, MS_RELATIME],
  norelatime: [true, MS_RELATIME],
  strictatime: [false, MS_STRICTATIME],
  nostrictatime: [true, MS_STRICTATIME],
  lazytime: [false, MS_LAZYTIME],
  nolazytime: [true, MS_LAZYTIME],
  silent: [false, MS_SILENT],
  loud: [true, MS_SILENT],
  iversion: [false, MS_I_VERSION],
  noiversion: [true, MS_I_VERSION],
  nosymfollow: [false, MS_NOSYMFOLLOW],
  symfollow: [true, MS_NOSYMFOLLOW],
};

/** Propagation options, also valid as linux.rootfsPropagation. */
export const PROPAGATION_OPTIONS: Record<string, number> = Object.freeze({
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
});

/** Recursive attributes (runc's "rro", "rnosuid" ...), applied with mount_setattr(AT_RECURSIVE). */
export const REC_ATTR_OPTIONS: Record<string, [boolean, number]> = {
  rro: [false, MOUNT_ATTR_RDONLY],
  rrw: [true, MOUNT_ATTR_RDONLY],
  rnosuid: [false, MOUNT_ATTR_NOSUID],
  rsuid: [true, MOUNT_ATTR_NOSUID],
  rnodev: [false, MOUNT_ATTR_NODEV],
  rdev: [true, MOUNT_ATTR_NODEV],
  rnoexec: [false, MOUNT_ATTR_NOEXEC],
  rexec: [true, MOUNT_ATTR_NOEXEC],
  rnodiratime: [false, MOUNT_ATTR_NODIRATIME],
  rdiratime: [true, MOUNT_ATTR_NODIRATIME],
  rrelatime: [false, MOUNT_ATTR_RELATIME],
  rnorelatime: [true, MOUNT_ATTR_RELATIME],
  rnoatime: [false, MOUNT_ATTR_NOATIME],
  ratime: [true, MOUNT_ATTR_NOATIME],
  rstrictatime: [false, MOUNT_ATTR_STRICTATIME],
  rnostrictatime: [true, MOUNT_ATTR_STRICTATIME],
  rnosymfollow: [false, MOUNT_ATTR_NOSYMFOLLOW],
  rsymfollow: [true, MOUNT_ATTR_NOSYMFOLLOW],
};

export interface MountOptions {
  /** MS_* flags for mount(2). */
  flags: number;
  /** Flags explicitly switched off ("rw", "exec" ...), which matters when remounting a bind mount:
   *  the runtime keeps locked flags of the source except those the user cleared. */
  clearFlags: number;
  /** Propagation changes, applied one by one after the mount, in the order given. */
  propagation: number[];
  /** Filesystem-specific options, to be joined with ',' as mount(2)'s data. */
  data: string[];
  /** mount_setattr(2) attr_set / attr_clr for the recursive "r*" options. */
  recAttrSet: number;
  recAttrClr: number;
  /** runc extension: copy the directory's existing content up into a new tmpfs. */
  tmpcopyup: boolean;
  /** "idmap" / "ridmap": make an id-mapped mount (recursive for ridmap). */
  idmap: 'idmap' | 'ridmap' | null;
}

/** Splits mount options the way runc does: known flag names set or clear MS_* flags, propagation
 *  names are collected, "r*" names become mount_setattr attributes, anything else is fs data. */
export function parseMountOptions(options: readonly string[]): MountOptions {
  const m: MountOptions = { flags: 0, clearFlags: 0, propagation: [], data: [], recAttrSet: 0, recAttrClr: 0, tmpcopyup: false, idmap: null };
  for (const o of options) {
    if (Object.hasOwn(MOUNT_FLAG_OPTIONS, o)) {
      const [clear, flag] = MOUNT_FLAG_OPTIONS[o];
      if (clear) {
        m.flags &= ~flag;
        m.clearFlags |= flag;
      } else {
        m.flags |= flag;
        m.clearFlags &= ~flag;
      }
    } else if (Object.hasOwn(PROPAGATION_OPTIONS, o)) {
      m.propagation.push(PROPAGATION_OPTIONS[o]);
    } else if (Object.hasOwn(REC_ATTR_OPTIONS, o)) {
      const [clear, flag] = REC_ATTR_OPTIONS[o];
      if (clear) {
        m.recAttrClr |= flag;
        m.recAttrSet &= ~flag;
      } else {
        m.recAttrSet |= flag;
        m.recAttrClr &= ~flag;
        // mount_setattr(2): an atime mode in attr_set needs MOUNT_ATTR__ATIME in attr_clr.
        if ((flag & MOUNT_ATTR__ATIME) === flag) m.recAttrClr |= MOUNT_ATTR__ATIME;
      }
    } else if (o === 'tmpcopyup' || o === 'notmpcopyup') {
      // notmpcopyup: crun's (and podman's) explicit default.
      m.tmpcopyup = o === 'tmpcopyup';
    } else if (o === 'idmap' || o === 'ridmap') {
      m.idmap = o;
    } else {
      m.data.push(o);
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// hako's annotations (read by the runtime's plan compiler, written by the engine)

/** The annotation that asks for a file system mounted on root.path inside the container's own user
 *  and mount namespaces, before anything else: the rootless engine's overlay, which an ordinary
 *  user may mount only there (kernel >= 5.11). Its value: JSON {source, fstype, flags, data}. */
export const ROOTFS_MOUNT_ANNOTATION = 'org.hako.rootfs.mount';

/** The annotation that names a mount namespace to enter (after joining the user namespace that owns
 *  it) before the container's own is made, which then starts as a copy of it: the rootless engine's
 *  holder's, where fuse-overlayfs mounted root.path (src/engine/rootfs-fuse.ts). Its value: a path
 *  such as /proc/PID/ns/mnt. */
export const ROOTFS_MOUNTNS_ANNOTATION = 'org.hako.rootfs.mountns';
