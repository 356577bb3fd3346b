// Paths of an image's root filesystem, looked at from the host. Every symlink in them is resolved
// as the container would see it (an absolute target starts again at the rootfs, ".." stops at
// it), so a hostile image cannot lead the engine to the host's own files.
import { cpSync, lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { HakoError } from '../util/errors.js';

/** The host path of `path` inside `rootfs`, every symlink resolved inside it (the last one too);
 *  null when a component is missing. */
export function resolveInRoot(rootfs: string, path: string): string | null {
  let hops = 0;
  const done: string[] = [];
  const todo = path.split('/');
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    } // ".." at the root stays at the root
    const host = posix.join(rootfs, ...done, c);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(host);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new HakoError(`${path} in the image: too many levels of symbolic links`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
      continue;
    }
    done.push(c);
  }
  return posix.join(rootfs, ...done);
}

/** A new named volume starts with what the image has at its mount point, as in docker. The mount
 *  point is resolved inside the rootfs (a symlink to "/" must not copy the host's files into the
 *  volume), and only directories, regular files and symlinks (as they are) are copied: a FIFO
 *  would stop the copy, a device such as /dev/zero would fill the disk. Nothing there: no copy. */
export function copyFromImage(rootfs: string, target: string, dest: string): void {
  const inImage = resolveInRoot(rootfs, target);
  try {
    if (!inImage || !lstatSync(inImage).isDirectory()) return;
    cpSync(inImage, dest, {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
      filter: (from) => {
        const st = lstatSync(from);
        return st.isDirectory() || st.isFile() || st.isSymbolicLink();
      },
    });
  } catch (e) {
    throw new HakoError(`volume at ${target}: copying the image's content: ${(e as Error).message}`);
  }
}
