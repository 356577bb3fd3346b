/* The rootless engine's user namespace for tool modes (src/native/userns.ts). An ordinary user's
 * store holds files owned by its subordinate ids (/etc/subuid): only a process in a user namespace
 * that maps them may chown to them (unpacking a layer) or remove them (a container's upper
 * directory). So:
 *   hako-init userns-hold        unshare(CLONE_NEWUSER), say "ready" on stdout, then hold the
 *                                namespace until stdin ends (or our parent dies). TypeScript writes
 *                                the maps meanwhile, with newuidmap/newgidmap: which ids is policy.
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
