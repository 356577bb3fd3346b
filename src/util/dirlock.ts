// A lock for short critical sections between hako processes: a file created with O_EXCL (atomic)
// holding the owner's pid, so a lock left by a crashed process is taken over instead of blocking
// forever. Used for per-container state, by the runtime and the engine alike. A file, not a
// directory: taking and releasing it are two syscalls each, on the path of every container start.
import fs from 'node:fs';
import path from 'node:path';
import { sleep, sleepMs } from './sleep.js';

export interface DirLockOptions {
  timeoutMs: number;
  /** The error when the directory the lock lives in is gone (the container was removed). */
  missing(): Error;
  /** The error after timeoutMs, with the pid of the holder. */
  busy(owner: number): Error;
}

export function acquireDirLock(lock: string, opts: DirLockOptions): void {
  const deadline = Date.now() + opts.timeoutMs;
  while (!tryDirLock(lock, opts, deadline)) sleepMs(5);
}

/** acquireDirLock without blocking the event loop while another process holds the lock. */
export async function acquireDirLockAsync(lock: string, opts: DirLockOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (!tryDirLock(lock, opts, deadline)) await sleep(5);
}

/** One attempt: true when taken (or a dead owner's lock was cleared and then taken), false while a
 *  live process holds it; throws past the deadline. */
function tryDirLock(lock: string, opts: DirLockOptions, deadline: number): boolean {
  for (;;) {
    try {
      const fd = fs.openSync(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try { fs.writeSync(fd, String(process.pid)); } finally { fs.closeSync(fd); }
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw opts.missing();
      if (code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(lock, 'utf8'));
      } catch (err) {
        // Earlier versions locked with a directory holding a `pid` file; one may be left by a crash.
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
          try { owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
        } /* else being written, or just released */
      }
      if (owner && !processAlive(owner)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw opts.busy(owner);
      return false;
    }
  }
}

export function releaseDirLock(lock: string): void {
  fs.rmSync(lock, { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
