/* Standalone modes for pinned network namespaces (the engine's netns per container, kept alive by a
 * bind mount like `ip netns add` does, so CNI plugins can enter it before and after the container's
 * process lives). Node cannot unshare or mount, so the two steps live here. Both run in the mount
 * namespace hako-init was started in (the host's), so the pin is visible to the engine and plugins.
 *   hako-init netns-create PATH   empty file PATH (0444), unshare(CLONE_NEWNET), lo up, bind /proc/self/ns/net
 *   hako-init netns-delete PATH   umount2(PATH, MNT_DETACH) (not mounted / missing is fine), unlink
 * Errors: one line on stderr, exit 1; a failed create leaves no file behind. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hako-init.h"

/* Every container namespace wants lo up (docker's and podman's do); doing it here spares the engine
 * the CNI loopback plugin for --network none. Bringing lo up also gives it 127.0.0.1 and ::1. */
int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(s);
  errno = err;
  return rc;
}

int netns_create_main(const char *path) {
  /* O_EXCL: never pin over an existing file (a live pin of another container, or anything else). */
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) {
    fprintf(stderr, "netns-create %s: %s\n", path, strerror(errno));
    return 1;
  }
  close(fd);
  const char *step = "unshare(CLONE_NEWNET)";
  if (unshare(CLONE_NEWNET) < 0) goto fail;
  step = "bring up lo";
  if (loopback_up() < 0) goto fail;
  step = "bind mount /proc/self/ns/net";
  if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0) goto fail;
  return 0;
fail:;
  int err = errno;
  unlink(path);
  fprintf(stderr, "netns-create %s: %s: %s\n", path, step, strerror(err));
  return 1;
}

int netns_delete_main(const char *path) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    fprintf(stderr, "netns-delete %s: umount: %s\n", path, strerror(errno));
    return 1;
  }
  if (unlink(path) < 0 && errno != ENOENT) {
    fprintf(stderr, "netns-delete %s: unlink: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}
