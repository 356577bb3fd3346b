/* The rootless engine's user namespace for tool modes (src/native/userns.ts). An ordinary user's
 * store holds files owned by its subordinate ids (/etc/subuid): only a process in a user namespace
 * that maps them may chown to them (unpacking a layer) or remove them (a container's upper
 * directory). So:
 *   hako-init userns-hold        unshare(CLONE_NEWUSER), say "ready" on stdout, then hold the
 *                                namespace until stdin ends (or our parent dies). TypeScript writes
 *                                the maps meanwhile, with newuidmap/newgidmap: which ids is policy.
 *   hako-init userns-pause       the user's shared namespace (podman's pause process): unshare
 *                                (CLONE_NEWUSER), say "ready", wait for "go" on stdin (TypeScript
 *                                has written the maps and the pid file), say "done" once its network and mount namespaces are made, then close stdio and hold
 *                                the namespace until killed. End of stdin without "go": exit.
 *                                Started in a session of its own (no parent-death signal): every
 *                                later command and container joins it.
 *                                After "go" it also makes the user's rootless network namespace
 *                                (owned by that user namespace): lo up, forwarding on, proxy ARP
 *                                (the user-mode tool's published ports reach containers' addresses
 *                                on bridges there) and loopback-sourced DNAT allowed.
 *   hako-init --userns=PATH [--netns=NETNS] MODE ARGS...
 *                                with --netns, MODE runs in that network namespace too (the bridge
 *                                driver's `netlink` in the rootless network namespace).
 *   hako-init --userns=PATH [--netns=NETNS] [--mntns=MNTNS] MODE ARGS...
 *                                with --mntns, MODE runs in that mount namespace too: the holder's,
 *                                where fuse-overlayfs mounts a container's root (`exec
 *                                fuse-overlayfs ...`) and `umount` takes it down again.
 *   hako-init --userns=PATH exec PROG ARGS...
 *                                `hako unshare`: PROG in that namespace (as its root).
 *   hako-init --userns=PATH MODE ARGS...
 *                                setns into the user namespace at PATH (/proc/HOLDER/ns/user) first,
 *                                then MODE as usual: the worker's resolution rules are unchanged,
 *                                its owners land in the subordinate range. Only rmtree and unpack
 *                                are meant to run there (src/native/modes.ts decides).
 *   hako-init --open-first=DIR --userns=PATH MODE ARGS...
 *                                opens DIR as we are, before joining, onto fd 7 (MODE names it
 *                                /proc/self/fd/7): a running rootless container's root,
 *                                /proc/PID/root, which its user namespace lets only the user that
 *                                owns it open (the store's namespace is its sibling, not its
 *                                parent, so a container cannot reach into the worker either). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "hako-init.h"

int userns_hold_main(void) {
  /* Nobody is left to use the namespace once the engine is gone: go with it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1) return 1;
  if (unshare(CLONE_NEWUSER) < 0) {
    fprintf(stderr, "userns-hold: unshare(CLONE_NEWUSER): %s\n", strerror(errno));
    return 1;
  }
  if (write(STDOUT_FILENO, "ready\n", 6) != 6) return 1;
  char buf[64];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    return 0;
  }
}

int userns_pause_main(void) {
  if (unshare(CLONE_NEWUSER) < 0) {
    fprintf(stderr, "userns-pause: unshare(CLONE_NEWUSER): %s\n", strerror(errno));
    return 1;
  }
  if (write(STDOUT_FILENO, "ready\n", 6) != 6) return 1;
  char buf[8];
  size_t got = 0;
  while (got < 3) {
    ssize_t n = read(STDIN_FILENO, buf + got, 3 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 1; /* the engine went away before the namespace was mapped */
    got += (size_t)n;
  }
  if (memcmp(buf, "go\n", 3) != 0) return 1;
  if (unshare(CLONE_NEWNET) < 0 || loopback_up() < 0) {
    fprintf(stderr, "userns-pause: the rootless network namespace: %s\n", strerror(errno));
    return 1;
  }
  /* A mount namespace owned by the user namespace (podman's pause holds one too): fuse-overlayfs
   * mounts containers' roots there, and the runtime joins it before making each container's own,
   * which then starts as a copy holding that root. The host's mounts still propagate in. */
  if (unshare(CLONE_NEWNS) < 0) {
    fprintf(stderr, "userns-pause: the rootless mount namespace: %s\n", strerror(errno));
    return 1;
  }
  /* /proc/sys/net is the current network namespace's: ours. Failures leave user networks without
   * forwarding, which their first use then reports; the namespace is still good for containers. */
  static const char *const sysctls[] = {"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/conf/all/proxy_arp",
                                        "/proc/sys/net/ipv4/conf/all/route_localnet"};
  for (size_t i = 0; i < sizeof sysctls / sizeof sysctls[0]; i++) {
    int fd = open(sysctls[i], O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (write(fd, "1", 1) != 1) { /* reported by the first user network */ }
      close(fd);
    }
  }
  if (write(STDOUT_FILENO, "done\n", 5) != 5) return 1;
  /* Nobody reads or writes our stdio from now on; signals of a terminal must not end us. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return 1;
  for (int fd = 0; fd <= 2; fd++) dup2(null, fd);
  close(null);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  for (;;) pause(); /* SIGTERM or SIGKILL end us, and with us the namespace */
}

/* `hako unshare`: PROG with ARGS in the namespace we joined. */
int userns_exec_main(char **argv) {
  execvp(argv[0], argv);
  fprintf(stderr, "hako-init: exec %s: %s\n", argv[0], strerror(errno));
  return 127;
}

/* Enters the network namespace at PATH (after join_userns: that namespace's owner). */
void join_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
    fprintf(stderr, "hako-init: --netns=%s: %s\n", path, strerror(errno));
    _exit(1);
  }
  close(fd);
}

/* Enters the mount namespace at PATH (after join_userns: that namespace's owner). */
void join_mntns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNS) < 0) {
    fprintf(stderr, "hako-init: --mntns=%s: %s\n", path, strerror(errno));
    _exit(1);
  }
  close(fd);
}

/* Enters the user namespace at PATH. We are its creator's uid, so setns gives us every capability
 * there; the creator is mapped to 0, so files we make belong to the user, and chown reaches only
 * what the maps hold. */
void join_userns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "hako-init: --userns=%s: %s\n", path, strerror(errno));
    _exit(1);
  }
  if (setns(fd, CLONE_NEWUSER) < 0) {
    fprintf(stderr, "hako-init: --userns=%s: setns: %s\n", path, strerror(errno));
    _exit(1);
  }
  close(fd);
}

void open_first(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || dup3(fd, OPEN_FIRST_FD, O_CLOEXEC) < 0) {
    fprintf(stderr, "hako-init: %s: %s\n", path, strerror(errno));
    _exit(1);
  }
  if (fd != OPEN_FIRST_FD) close(fd);
}
