/* hako-init criu-swrk CRIU [--console-socket PATH] [--reap]
 *
 * CRIU's RPC service (`criu swrk FD`) speaks one protobuf message per SOCK_SEQPACKET packet, and
 * Node and Bun cannot make such a socket. This mode is only the carrier: TypeScript builds every
 * request and reads every answer (src/runtime/criu/); the helper makes the socketpair, starts
 * CRIU with its end, and relays whole messages between it and fd 3, a stream socket to TypeScript,
 * where each message travels as u32le length + bytes.
 *
 * - criu is started only once the first request has arrived on fd 3, so TypeScript can place this
 *   process (and so criu) in the container's cgroup first, as runc places criu for a restore.
 * - Every descriptor we were given except fd 3 goes to criu as it is: 0-2 (the container's stdio
 *   for a restore's inherit_fd) and the image, work and namespace directories TypeScript opened.
 * - A message that carries a descriptor (criu's orphan-pts-master) is relayed, and the descriptor
 *   is sent to the console socket PATH as the OCI console-socket protocol wants (or closed).
 * - A message of length 0 from TypeScript, or its end of file, ends the session: criu's socket is
 *   closed, criu exits and is reaped. The exit status is criu's; with --reap (a foreground
 *   restore, where the restored process is our child: criu restores it as its sibling), the
 *   helper then waits for its other children and exits with the last one's status (128+signal).
 * Errors: one line on stderr, exit status 1. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "hako-init.h"

#define RELAY_FD 3
#define MAX_MESSAGE (1 << 20)

static int read_full(int fd, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(fd, (char *)buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

/* One framed message from TypeScript: its length (0 ends the session, as end of file does). */
static ssize_t read_frame(char *buf) {
  unsigned char head[4];
  if (read_full(RELAY_FD, head, 4) < 0) return 0;
  uint32_t len = head[0] | head[1] << 8 | head[2] << 16 | (uint32_t)head[3] << 24;
  if (len > MAX_MESSAGE) {
    fprintf(stderr, "hako-init: criu-swrk: a request of %u bytes is over the limit\n", len);
    return -1;
  }
  if (len && read_full(RELAY_FD, buf, len) < 0) return 0;
  return (ssize_t)len;
}

static int write_frame(const char *buf, size_t len) {
  char head[4];
  write_u32(head, (uint32_t)len);
  return write_full(RELAY_FD, head, 4) < 0 || write_full(RELAY_FD, buf, len) < 0 ? -1 : 0;
}

/* The OCI console-socket protocol: one SCM_RIGHTS message whose data names the descriptor. */
static void send_to_console_socket(const char *path, int fd) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || strlen(path) >= sizeof addr.sun_path) goto fail;
  strcpy(addr.sun_path, path);
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) goto fail;
  if (send_fd(sock, fd, "orphan-pts-master") < 0) goto fail;
  close(sock);
  return;
fail:
  fprintf(stderr, "hako-init: criu-swrk: --console-socket %s: %s\n", path, strerror(errno));
  if (sock >= 0) close(sock);
}

/* One packet from criu to TypeScript, its descriptors to the console socket. 0: criu is gone. */
static int relay_from_criu(int sk, char *buf, const char *console) {
  char cbuf[CMSG_SPACE(sizeof(int) * 8)];
  struct iovec iov = {.iov_base = buf, .iov_len = MAX_MESSAGE};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n = recvmsg(sk, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0 && errno == EINTR) return 1;
  if (n <= 0) return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (console) send_to_console_socket(console, fd);
      close(fd);
    }
  }
  if (write_frame(buf, (size_t)n) < 0) return 0;
  return 1;
}

static pid_t start_criu(const char *criu, int theirs) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  close(RELAY_FD);
  fcntl(theirs, F_SETFD, 0);
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", theirs);
  execl(criu, criu, "swrk", fdarg, (char *)NULL);
  fprintf(stderr, "hako-init: criu-swrk: exec %s: %s\n", criu, strerror(errno));
  _exit(127);
}

static int status_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

int criu_swrk_main(int argc, char **argv) {
  const char *criu = argv[2], *console = NULL;
  int reap = 0;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--reap") == 0) reap = 1;
    else if (strcmp(argv[i], "--console-socket") == 0 && i + 1 < argc) console = argv[++i];
    else {
      fprintf(stderr, "hako-init: criu-swrk: unknown argument %s\n", argv[i]);
      return 1;
    }
  }
  fcntl(RELAY_FD, F_SETFD, FD_CLOEXEC);
  char *buf = malloc(MAX_MESSAGE);
  ssize_t len = read_frame(buf);
  if (len <= 0) return len < 0;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    fprintf(stderr, "hako-init: criu-swrk: socketpair: %s\n", strerror(errno));
    return 1;
  }
  pid_t pid = start_criu(criu, sv[1]);
  if (pid < 0) {
    fprintf(stderr, "hako-init: criu-swrk: fork: %s\n", strerror(errno));
    return 1;
  }
  close(sv[1]);
  int relaying = send(sv[0], buf, (size_t)len, MSG_NOSIGNAL) == len;
  while (relaying) {
    struct pollfd fds[2] = {{.fd = sv[0], .events = POLLIN}, {.fd = RELAY_FD, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) relaying = relay_from_criu(sv[0], buf, console);
    else if (fds[1].revents) {
      len = read_frame(buf);
      relaying = len > 0 && send(sv[0], buf, (size_t)len, MSG_NOSIGNAL) == len;
    }
  }
  close(sv[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  int code = status_code(st);
  if (!reap) return code;
  /* The restored process (criu's sibling, so our child): wait for it, and for anything else ours. */
  for (;;) {
    pid_t p = wait(&st);
    if (p < 0 && errno == EINTR) continue;
    if (p < 0) break;
    code = status_code(st);
  }
  return code;
}
