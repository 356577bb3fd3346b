// The process of runc's `exec`: read from a --process file, or the container's own process with the
// command line's changes (args, terminal, env, cwd, user, groups, capabilities).
import fs from 'node:fs';
import { asHakoError, HakoError } from '../util/errors.js';
import type { Process } from '../oci/types.js';

/** What `exec`'s flags may change in the container's process. */
export interface ExecChanges {
  tty?: boolean;
  env?: string[];
  cwd?: string;
  /** UID[:GID], numbers. */
  user?: string;
  additionalGids?: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  caps?: string[];
}

export function readProcessFile(file: string): Process {
  let proc: Process;
  try {
    proc = JSON.parse(fs.readFileSync(file, 'utf8')) as Process;
  } catch (e) {
    throw e instanceof SyntaxError ? new HakoError(`exec: --process ${file}: invalid JSON: ${e.message}`) : asHakoError(`exec: --process ${file}`, e);
  }
  // runc runs a process without `user` as 0:0.
  if (proc && typeof proc === 'object' && proc.user === undefined) proc.user = { uid: 0, gid: 0 };
  return proc;
}

/** runc's exec without --process: the container's process with the flags' changes. */
export function execProcess(base: Process, args: string[], v: ExecChanges): Process {
  if (!args.length) throw new HakoError('exec: a command is required (or --process)');
  const proc: Process = structuredClone(base);
  proc.args = args;
  proc.terminal = Boolean(v.tty);
  delete proc.consoleSize;
  proc.env = [...(base.env ?? []), ...(v.env ?? [])];
  if (v.cwd) proc.cwd = v.cwd;
  if (v.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(v.user);
    if (!m) throw new HakoError(`exec: --user must be UID[:GID] (numbers), got "${v.user}"`);
    proc.user = { ...proc.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : proc.user.gid };
  }
  if (v.additionalGids) proc.user.additionalGids = v.additionalGids.map(Number);
  if (v.noNewPrivs) proc.noNewPrivileges = true;
  if (v.apparmor) proc.apparmorProfile = v.apparmor;
  // Like runc: bounding, effective and permitted (ambient would need inheritable).
  for (const cap of v.caps ?? []) {
    const caps = (proc.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) (caps[set] ??= []).push(cap);
  }
  return proc;
}
