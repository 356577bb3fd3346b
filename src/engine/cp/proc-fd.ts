// The one file read of the container side of `hako cp`: a regular file the native worker opened
// (checked to be one, resolved beneath the root without symlinks) is read through the worker's
// descriptor, /proc/PID/fd/N: a magic link to that open file, so no path in the container is
// resolved by Node. Kept apart so that test/unit/engine/cp-no-fs.test.ts can hold the other
// container-side files to no fs at all.
import fs from 'node:fs';
import type { Readable } from 'node:stream';

/** The first `size` bytes (size > 0) of the file open as fd `fd` in process `pid`. */
export function readWorkerFd(pid: number, fd: string, size: number): Readable {
  if (!/^\d+$/.test(fd)) throw new Error(`bad descriptor ${fd}`);
  return fs.createReadStream(`/proc/${pid}/fd/${fd}`, { start: 0, end: size - 1 });
}
