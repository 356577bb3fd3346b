// A container without a mount namespace of its own (none in linux.namespaces, as runc allows)
// builds its rootfs in the caller's mount namespace: the rootfs bind mount and every config mount
// beneath it are the host's. `delete` detaches them again, down to what was mounted there before.
import { umount } from '../native/modes.js';
import { mountPoints } from '../util/mountinfo.js';

/** How many mounts are stacked at `dir` (its real path) in our mount namespace. */
export function mountsAt(dir: string): number {
  return mountPoints().filter((m) => m === dir).length;
}

/** Detaches (with everything beneath) the mounts at `dir` above the first `keep`. */
export function detachMountsAbove(dir: string, keep: number): void {
  for (let n = mountsAt(dir); n > keep; n--) {
    umount(dir);
  }
}
