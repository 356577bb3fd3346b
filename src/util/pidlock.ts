// The one cross-process lock of hako, for short critical sections (a container's state, the engine's
// container records, the image index, the network files): a file created with O_EXCL (atomic, so
// exactly one process holds it) holding the owner's pid.
//  - A lock whose pid no longer exists (the holder crashed) is stale and taken over, and so is a
//    lock file that stays empty for longer than EMPTY_STALE_MS (a crash between create and write),
//    and a lock directory with a `pid` file, which earlier versions used.
//  - Waiting is a short sleep loop with a deadline: critical sections take milliseconds. The
//    library's callers wait on timers (acquirePidLockAsync), the CLI's may block.
// A file, not a directory: taking and releasing it are two syscalls each, on the path of every
// container start. Known limit: two waiters that see the same stale lock at the same moment could
// both remove it, one after the other already re-created it; the window is a few microseconds after
// a crash, and what the locks guard is written by whole-file renames, so the worst case is a lost
// update, never a torn file.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from './errors.js';
import { processAlive } from './proc.js';
import { sleep, sleepMs } from './sleep.js';

const EMPTY_STALE_MS = 5000;

export interface PidLockOptions {
  timeoutMs: number;
  /** The error when the directory the lock lives in is gone (say, the container was removed). */
  missing?(): Error;
  /** The error after timeoutMs, with the pid of the holder (0: unknown). */
  busy?(owner: number): Error;
  /** The longest sleep between attempts (they start at 2 ms and double). */
  maxPollMs?: number;
}

/** Takes the lock file `lock`, waiting up to opts.timeoutMs for another holder. */
export function acquirePidLock(lock: string, opts: PidLockOptions): void {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = 2;
  while (!tryPidLock(lock, opts, deadline)) {
    sleepMs(wait);
    wait = Math.min(wait * 2, opts.maxPollMs ?? 50);
  }
}

/** acquirePidLock for the library: waits for another holder on timers, not by blocking the thread. */
export async function acquirePidLockAsync(lock: string, opts: PidLockOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = 2;
  while (!tryPidLock(lock, opts, deadline)) {
    await sleep(wait);
    wait = Math.min(wait * 2, opts.maxPollMs ?? 50);
  }
}

/** One attempt: true when taken (a stale lock is cleared and taken), false while another process
 *  holds it; throws past the deadline. */
function tryPidLock(lock: string, opts: PidLockOptions, deadline: number): boolean {
  for (;;) {
    try {
      const fd = fs.openSync(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try {
        fs.writeSync(fd, String(process.pid));
      } finally {
        fs.closeSync(fd);
      }
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && opts.missing) throw opts.missing();
      if (code !== 'EEXIST') throw new HakoError(`cannot create lock ${lock}: ${(e as Error).message}`);
      const owner = holder(lock);
      if (owner === 'stale') {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw opts.busy?.(owner) ?? new HakoError(`timed out waiting for lock ${lock} (held by pid ${owner || 'unknown'})`);
      }
      return false;
    }
  }
}

export function releasePidLock(lock: string): void {
  fs.rmSync(lock, { force: true });
}

const held = new Map<string, number>(); // lock path -> nesting depth, for re-entrant use in one process

/** Runs `fn` while holding the lock file `lock`; re-entrant within this process. */
export function withPidLock<T>(lock: string, fn: () => T, timeoutMs = 30_000): T {
  const depth = held.get(lock) ?? 0;
  if (depth === 0) acquirePidLock(lock, { timeoutMs });
  held.set(lock, depth + 1);
  try {
    return fn();
  } finally {
    if (depth === 0) {
      held.delete(lock);
      releasePidLock(lock);
    } else {
      held.set(lock, depth);
    }
  }
}

/** The pid holding `lock`, 'stale' when it can be taken over, 0 while it is unknown (being written,
 *  just released). */
function holder(lock: string): number | 'stale' {
  let text: string;
  let st: fs.Stats;
  try {
    st = fs.statSync(lock);
    text = st.isDirectory() ? fs.readFileSync(path.join(lock, 'pid'), 'utf8') : fs.readFileSync(lock, 'utf8');
  } catch {
    return 0;
  }
  const pid = Number(text.trim());
  if (!text.trim() || !Number.isInteger(pid) || pid <= 0) return Date.now() - st.mtimeMs > EMPTY_STALE_MS ? 'stale' : 0;
  return processAlive(pid) ? pid : 'stale';
}
