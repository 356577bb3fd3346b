// A container without a mount namespace of its own (none in linux.namespaces, as runc allows)
// builds its rootfs in the caller's mount namespace: the rootfs bind mount and every config mount
// beneath it are the host's. `delete` detaches them again, down to what was mounted there before.
import fs from 'node:fs';
import { umount } from '../native/modes.js';

/** How many mounts are stacked at `dir` (its real path) in our mount namespace. */
export function mountsAt(dir: string): number {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  try {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => unescape(l.split(' ')[4] ?? '') === dir).length;
  } catch {
    return 0;
  }
}

/** Detaches (with everything beneath) the mounts at `dir` above the first `keep`. */
export function detachMountsAbove(dir: string, keep: number): void {
  for (let n = mountsAt(dir); n > keep; n--) {
    umount(dir);
  }
}
