/* Standalone modes for the engine's container root filesystems (Node has no mount(2)):
 *   hako-init mount SOURCE TARGET FSTYPE FLAGS DATA [CWD]   (CWD: overlay's relative lowerdirs)
 *   hako-init umount TARGET
 * TypeScript (src/storage/rootfs.ts) computes the mount; this only performs it. */
#include "hako-init.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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
