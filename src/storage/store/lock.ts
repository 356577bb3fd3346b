// A cross-process lock for short, synchronous critical sections (the image index). It is a lock file
// created with O_EXCL holding the owner's pid:
//  - creating the file is atomic, so exactly one process holds the lock;
//  - a lock whose pid no longer exists (the holder crashed) is stale and is removed, and so is a
//    lock file that stays empty for longer than EMPTY_STALE_MS (a crash between create and write);
//  - waiting is a short sleep loop with a deadline, since critical sections take milliseconds.
// Known limit: two waiters that see the same stale lock at the same moment could both remove it, one
// after the other already re-created it; the window is a few microseconds after a crash, and the
// index writes are whole-file renames, so the worst case is a lost update, never a torn file.
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import { sleepMs } from '../../util/sleep.js';
import { processAlive } from '../../util/dirlock.js';

const EMPTY_STALE_MS = 5000;
const held = new Map<string, number>(); // lock path -> nesting depth, for re-entrant use in one process

/** Returns the pid holding the lock, or undefined when the lock looks stale. */
function holder(lockPath: string): number | 'unknown' | undefined {
  let text: string;
  let st: fs.Stats;
  try {
    st = fs.statSync(lockPath);
    text = fs.readFileSync(lockPath, 'utf8').trim();
  } catch {
    return 'unknown'; // vanished: just retry
  }
  const pid = Number(text);
  if (!text || !Number.isInteger(pid) || pid <= 0) return Date.now() - st.mtimeMs > EMPTY_STALE_MS ? undefined : 'unknown';
  return processAlive(pid) ? pid : undefined;
}

/** Runs `fn` while holding the lock file `lockPath`; waits up to `timeoutMs` for another holder. */
export function withLock<T>(lockPath: string, fn: () => T, timeoutMs = 30_000): T {
  const depth = held.get(lockPath) ?? 0;
  if (depth > 0) {
    held.set(lockPath, depth + 1);
    try {
      return fn();
    } finally {
      held.set(lockPath, depth);
    }
  }
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o644);
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new HakoError(`cannot create lock ${lockPath}: ${(e as Error).message}`);
      const h = holder(lockPath);
      if (h === undefined) {
        try {
          fs.unlinkSync(lockPath);
        } catch {
          /* someone else removed it first */
        }
        continue;
      }
      if (Date.now() > deadline) throw new HakoError(`timed out waiting for lock ${lockPath} (held by pid ${h})`);
      sleepMs(wait);
      wait = Math.min(wait * 2, 50);
    }
  }
  held.set(lockPath, 1);
  try {
    return fn();
  } finally {
    held.delete(lockPath);
    try {
      fs.unlinkSync(lockPath);
    } catch {
      /* already gone: nothing to release */
    }
  }
}
