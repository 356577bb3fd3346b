// The four operations that change or read cgroupfs, behind an interface so unit tests can put a fake
// "kernel" in front of a temp directory (test/unit/cgroups/fakefs.ts). Everything else (exists,
// readdir) uses node:fs directly, because the fake is a real directory tree.
// All synchronous: these are a handful of tiny writes on the container start path.
import fs from 'node:fs';
import { blocking, type WaitSteps } from './waits.js';
import { HakoError } from '../util/errors.js';

export interface CgroupIo {
  /** Creates one directory level (not recursive); throws EEXIST like mkdir(2). */
  mkdir(dir: string): void;
  /** Removes one cgroup directory; on cgroupfs the pseudo-files go with it. */
  rmdir(dir: string): void;
  /** Writes `data` to an EXISTING file in one write(2): never creates files, so a controller that is
   *  not enabled shows up as ENOENT instead of a stray regular file. */
  write(file: string, data: string): void;
  read(file: string): string;
}

export const realIo: CgroupIo = {
  mkdir: (dir) => fs.mkdirSync(dir),
  rmdir: (dir) => fs.rmdirSync(dir),
  write(file, data) {
    // O_TRUNC like runc: harmless on cgroupfs, and gives overwrite semantics on plain files.
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  },
  read: (file) => fs.readFileSync(file, 'utf8'),
};

// glibc's strerror texts for the errors cgroupfs returns, so messages read like the kernel's.
const STRERROR: Record<string, string> = {
  EINVAL: 'Invalid argument',
  ENOENT: 'No such file or directory',
  EBUSY: 'Device or resource busy',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ERANGE: 'Numerical result out of range',
  ENOSPC: 'No space left on device',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EOPNOTSUPP: 'Operation not supported',
  ENOTSUP: 'Operation not supported',
  EAGAIN: 'Resource temporarily unavailable',
  ENODEV: 'No such device',
  EROFS: 'Read-only file system',
  ENOTDIR: 'Not a directory',
  E2BIG: 'Argument list too long',
  EIO: 'Input/output error',
  ESRCH: 'No such process',
};

/** "Invalid argument" for an errno exception; kernel-internal ENOTSUPP (524) has no libc name. */
export function strerror(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && STRERROR[e.code]) return STRERROR[e.code]!;
  if (e && e.errno === -524) return 'Operation not supported (ENOTSUPP)';
  const msg = String(e?.message || e);
  // libuv form: "EFOO: some text, write '/path'" -> "Some text"
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(msg);
  const text = m ? m[1]! : msg;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function errnoCode(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e && e.errno === -524) return 'ENOTSUPP';
  return e && typeof e.code === 'string' ? e.code : undefined;
}

/** The one-line error every failed write becomes:
 *  "cgroup memory: writing 'abc' to /sys/fs/cgroup/memory/hako/x/memory.limit_in_bytes: Invalid argument" */
export function writeError(resource: string, file: string, data: string, err: unknown): HakoError {
  const e = new HakoError(`cgroup ${resource}: writing '${data.replace(/\n/g, '\\n')}' to ${file}: ${strerror(err)}`);
  (e as HakoError & { code?: string }).code = errnoCode(err);
  return e;
}

/** Writes and converts any failure into writeError(). */
export function writeOrThrow(io: CgroupIo, resource: string, file: string, data: string): void {
  try {
    io.write(file, data);
  } catch (err) {
    throw writeError(resource, file, data, err);
  }
}

/** The errno code carried by a HakoError from writeError(), or by a raw Node error. */
export function codeOf(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

export function existsSync(p: string): boolean {
  return fs.existsSync(p);
}

/** Sub-directory names of `dir` (child cgroups); [] if `dir` is missing. */
export function childDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

/** Reads a file or returns undefined if it does not exist (controller absent, cgroup gone). */
export function readOptional(io: CgroupIo, file: string): string | undefined {
  try {
    return io.read(file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) into a map. */
export function parseFlatKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!text) return out;
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** A single number, "max" (-> undefined = unlimited), or undefined if absent. Values near 2^63
 *  (v1's way of saying unlimited) also become undefined. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n >= 2 ** 62) return undefined;
  return n;
}

/** All pids listed in cgroup.procs of `dir` and every descendant cgroup. */
export function collectPids(io: CgroupIo, dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    const text = readOptional(io, `${d}/cgroup.procs`);
    if (text === undefined) return;
    for (const line of text.split('\n')) if (line.trim()) out.push(Number(line.trim()));
    for (const child of childDirs(d)) walk(`${d}/${child}`);
  };
  walk(dir);
  return out;
}

/** Removes `dir` and every child cgroup below it, deepest first. EBUSY (a dying process not yet
 *  reaped by the kernel) is retried briefly; a missing directory is fine. */
export function removeCgroupTree(io: CgroupIo, dir: string, what: string): void {
  blocking(removeCgroupTreeSteps(io, dir, what));
}

/** removeCgroupTree as wait steps (waits.ts): the library runs them on timers. */
export function* removeCgroupTreeSteps(io: CgroupIo, dir: string, what: string): WaitSteps {
  // Most cgroups have no children: one rmdir, no listing of a directory full of control files.
  try {
    io.rmdir(dir);
    return;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
  }
  for (const child of childDirs(dir)) yield* removeCgroupTreeSteps(io, `${dir}/${child}`, what);
  let delay = 5;
  for (let attempt = 0; ; attempt++) {
    try {
      io.rmdir(dir);
      return;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && attempt < 12) {
        yield delay;
        delay = Math.min(delay * 2, 200);
        continue;
      }
      throw new HakoError(`cgroup ${what}: removing ${dir}: ${strerror(err)}`);
    }
  }
}

/** Sends `signal` to each pid, ignoring processes that are already gone. */
export function signalAll(pids: number[], signal: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (errnoCode(err) !== 'ESRCH') throw new HakoError(`cgroup: sending signal ${signal} to pid ${pid}: ${strerror(err)}`);
    }
  }
}

/** Undoes a failed create: removes the directories made, leaves before their parents. Best
 *  effort: the error that made us undo is the one to report. */
export function removeCreated(io: CgroupIo, created: string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      io.rmdir(dir);
    } catch {
      /* already gone or busy: nothing better to do */
    }
  }
}
