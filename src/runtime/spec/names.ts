// TEMPORARY minimal tables; replaced by the full module from the `config` branch.
import fs from 'node:fs';
import { ConfigError, HakoError } from '../../util/errors.js';
import type { NamespaceType } from './types.js';

const CAP_NAMES = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE',
  'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME',
  'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE'];
export const CAPABILITIES: Record<string, number> = Object.fromEntries(CAP_NAMES.map((n, i) => [`CAP_${n}`, i]));
let cachedLastCap: number | undefined;
export function lastCap(): number {
  if (cachedLastCap === undefined) {
    try { cachedLastCap = parseInt(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10); } catch { cachedLastCap = 40; }
  }
  return cachedLastCap;
}
export function capabilityMask(names: string[], field: string): bigint {
  let mask = 0n;
  names.forEach((name, i) => {
    const bit = CAPABILITIES[name];
    if (bit === undefined) throw new ConfigError(`${field}[${i}]`, `unknown capability "${name}"`);
    if (bit <= lastCap()) mask |= 1n << BigInt(bit);
  });
  return mask;
}
const RLIMIT_NAMES = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];
export const RLIMITS: Record<string, number> = Object.fromEntries(RLIMIT_NAMES.map((n, i) => [`RLIMIT_${n}`, i]));
const SIG_NAMES = ['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS'];
export const SIGNALS: Record<string, number> = Object.fromEntries(SIG_NAMES.map((n, i) => [`SIG${n}`, i + 1]));
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s) && +s > 0 && +s <= 64) return +s;
  const up = s.toUpperCase();
  const n = SIGNALS[up.startsWith('SIG') ? up : `SIG${up}`];
  if (n === undefined) throw new HakoError(`unknown signal "${s}"`);
  return n;
}
export const NAMESPACE_FLAGS: Record<NamespaceType, number> = {
  mount: 0x20000, uts: 0x4000000, ipc: 0x8000000, user: 0x10000000, pid: 0x20000000, network: 0x40000000, cgroup: 0x2000000, time: 0x80,
};
export const NAMESPACE_PROC_NAMES: Record<NamespaceType, string> = {
  mount: 'mnt', uts: 'uts', ipc: 'ipc', user: 'user', pid: 'pid', network: 'net', cgroup: 'cgroup', time: 'time',
};
export const MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16, MS_REMOUNT = 32,
  MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048, MS_BIND = 4096, MS_MOVE = 8192,
  MS_REC = 16384, MS_SILENT = 32768, MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19,
  MS_SHARED = 1 << 20, MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;
const SET: Record<string, number> = { ro: MS_RDONLY, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC, sync: MS_SYNCHRONOUS,
  remount: MS_REMOUNT, mand: MS_MANDLOCK, dirsync: MS_DIRSYNC, noatime: MS_NOATIME, nodiratime: MS_NODIRATIME, bind: MS_BIND,
  rbind: MS_BIND | MS_REC, relatime: MS_RELATIME, strictatime: MS_STRICTATIME, lazytime: MS_LAZYTIME };
const CLEAR: Record<string, number> = { rw: MS_RDONLY, suid: MS_NOSUID, dev: MS_NODEV, exec: MS_NOEXEC, async: MS_SYNCHRONOUS,
  nomand: MS_MANDLOCK, atime: MS_NOATIME, diratime: MS_NODIRATIME, norelatime: MS_RELATIME, nostrictatime: MS_STRICTATIME, nolazytime: MS_LAZYTIME };
const PROP: Record<string, number> = { private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC, shared: MS_SHARED, rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC, unbindable: MS_UNBINDABLE, runbindable: MS_UNBINDABLE | MS_REC };
export function parseMountOptions(options: string[]): { flags: number; clearFlags: number; propagation: number[]; data: string[] } {
  let flags = 0, clearFlags = 0;
  const propagation: number[] = [], data: string[] = [];
  for (const o of options) {
    if (SET[o] !== undefined) { flags |= SET[o]; clearFlags &= ~SET[o]; }
    else if (CLEAR[o] !== undefined) { flags &= ~CLEAR[o]; clearFlags |= CLEAR[o]; }
    else if (PROP[o] !== undefined) propagation.push(PROP[o]);
    else data.push(o);
  }
  return { flags, clearFlags, propagation, data };
}
