// What the runtime's commands share: runc's flag parsing and error wording, the flags of `create`
// (which `run` takes too) and --preserve-fds.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { HakoError } from '../../util/errors.js';
import { parseArgsOptions, valueFlags, type Flags, type Parsed } from '../command.js';
import { writeErr } from '../../util/stdio.js';

/** What every runtime command gets: the global flags' outcome. */
export interface RuntimeContext {
  root: string;
  /** The global --systemd-cgroup: new containers get a systemd scope (create and run read it). */
  systemdCgroup?: boolean;
}

export const bundleFlag: Flags = {
  bundle: { type: 'string', short: 'b', default: '.', value: 'DIR', help: 'the bundle directory (config.json and the rootfs; default .)' },
};

export const createFlags: Flags = {
  ...bundleFlag,
  'pid-file': { type: 'string', value: 'FILE', help: "write the container's pid to FILE" },
  'console-socket': { type: 'string', value: 'PATH', help: 'with process.terminal: send the pty master to this Unix socket' },
  'no-pivot': { type: 'boolean', help: 'accepted for runc compatibility' },
  'no-new-keyring': { type: 'boolean', help: 'accepted for runc compatibility' },
  'preserve-fds': { type: 'string', value: 'N', help: "pass fds 3..3+N-1 on to the container's process as the same numbers" },
};

/** parseArgs with runc's wording: `kill: Unknown option '--x'…` on one line, exit 1. */
export function parse(command: string, args: string[], flags: Flags): Parsed {
  try {
    return parseArgs({ args: joinNegativeValues(args, flags), options: parseArgsOptions(flags), allowPositionals: true, strict: true });
  } catch (e) {
    throw new HakoError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** `--memory-swap -1` (docker update sends it; -1 is "unlimited"): parseArgs calls a value that looks
 *  like a flag ambiguous, runc takes it. A negative number after a flag that takes a value is its value. */
function joinNegativeValues(args: string[], flags: Flags): string[] {
  const takesValue = valueFlags(flags);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') return [...out, ...args.slice(i)];
    if (takesValue.has(args[i]) && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

export function one(positionals: string[], command: string, what = 'container id'): string {
  if (positionals.length !== 1) throw new HakoError(`${command}: expects exactly one ${what}, got ${positionals.length}`);
  return positionals[0];
}

/** --preserve-fds N (as runc: our fds 3..3+N-1 go on to the process as the same numbers). Each must
 *  be the caller's: one it did not pass is said in one line. "Open" is not enough: the JavaScript
 *  runtime opens its event loop's epoll and eventfd at the lowest free numbers before any of our
 *  code runs, so a caller passing fewer than N fds would hand them to the container. The flags
 *  cannot tell them apart (Bun marks inherited fds above 3 close-on-exec too), so an epoll or
 *  eventfd there is refused: a caller that means to pass one of those cannot, a known limit. */
export function preservedFds(values: Record<string, unknown>, command: string): number {
  const text = values['preserve-fds'] as string | undefined;
  if (text === undefined) return 0;
  if (!/^\d{1,6}$/.test(text)) throw new HakoError(`${command}: --preserve-fds ${text}: expects a number of file descriptors`);
  const n = Number(text);
  for (let fd = 3; fd < 3 + n; fd++) {
    if (!inheritedFd(fd)) throw new HakoError(`${command}: --preserve-fds ${n}: file descriptor ${fd} was not passed to hako`);
  }
  return n;
}

function inheritedFd(fd: number): boolean {
  let target: string;
  try {
    target = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return false;
  }
  return target !== 'anon_inode:[eventpoll]' && target !== 'anon_inode:[eventfd]';
}

/** The library's warnings (Runtime's onWarning), printed as the runtime always printed them. */
export function printWarning(message: string): void {
  writeErr(`hako: ${message}\n`);
}
