/* Standalone modes for the engine's container root filesystems (Node has no mount(2)):
 *   hako-init mount SOURCE TARGET FSTYPE FLAGS DATA [CWD]   (CWD: overlay's relative lowerdirs)
 *   hako-init umount TARGET
 *   hako-init [--userns=PATH] --private-mount SOURCE TARGET FSTYPE FLAGS DATA MODE ARGS...
 *       (a prefix, as --userns=): the mount made in a new mount namespace of this process only,
 *       then MODE as usual. The rootless engine's `cp`, `export` and `COPY --from` read and write
 *       a stopped container's or a stage's overlay this way: an ordinary user may mount it only in
 *       a mount namespace its user namespace owns, and it goes with the process (nothing to
 *       unmount, whatever kills it).
 * TypeScript (src/storage/rootfs.ts) computes the mount; this only performs it. */
#include "hako-init.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

int mount_main(int argc, char **argv) {
  if (argc < 7) fail("mount", "usage: hako-init mount SOURCE TARGET FSTYPE FLAGS DATA [CWD]");
  if (argc > 7 && chdir(argv[7]) < 0) fail_errno("mount", "chdir %s", argv[7]);
  unsigned long flags = (unsigned long)parse_u64("mount", argv[5]);
  if (mount(argv[2], argv[3], argv[4], flags, argv[6][0] ? argv[6] : NULL) < 0)
    fail_errno("mount", "%s on %s (type %s)", argv[2], argv[3], argv[4]);
  return 0;
}

int umount_main(const char *target) {
  if (umount2(target, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) fail_errno("umount", "%s", target);
  return 0;
}

void private_mount(char **w) {
  if (unshare(CLONE_NEWNS) < 0) fail_errno("private mount", "unshare(CLONE_NEWNS)");
  /* Nothing we mount may reach the namespace we came from. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail_errno("private mount", "make / private");
  unsigned long flags = (unsigned long)parse_u64("private mount", w[3]);
  if (mount(w[0], w[1], w[2], flags, w[4][0] ? w[4] : NULL) < 0) fail_errno("private mount", "%s on %s (type %s)", w[0], w[1], w[2]);
}
