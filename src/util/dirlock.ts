// A lock for short critical sections between hako processes: a directory (mkdir is atomic) holding
// the owner's pid, so a lock left by a crashed process is taken over instead of blocking forever.
// Used for per-container state, by the runtime and the engine alike.
import fs from 'node:fs';
import path from 'node:path';

export interface DirLockOptions {
  timeoutMs: number;
  /** The error when the directory the lock lives in is gone (the container was removed). */
  missing(): Error;
  /** The error after timeoutMs, with the pid of the holder. */
  busy(owner: number): Error;
}

export function acquireDirLock(lock: string, opts: DirLockOptions): void {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw opts.missing();
      if (code !== 'EEXIST') throw e;
      let owner = 0;
      try { owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (owner && !processAlive(owner)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw opts.busy(owner);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

export function releaseDirLock(lock: string): void {
  fs.rmSync(lock, { recursive: true, force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
