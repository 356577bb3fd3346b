/* `hako-init attach-relay DIR`: a relay between conmon's attach socket and the engine. conmon serves
 * a container's stdio on DIR/attach, a SOCK_SEQPACKET socket (podman's `attach` uses it), and
 * neither Node nor Bun can open that socket type. This mode connects and copies, knowing nothing of
 * detach keys, terminals or signals (TypeScript does those: src/engine/attach.ts):
 *   stdin (fd 0)  -> the socket, as it comes (conmon writes it to the container's stdin); at end of
 *                    input, shutdown(SHUT_WR) and keep relaying output
 *   the socket    -> stdout (fd 1), each packet as one frame in docker's attach stream format:
 *                    8 bytes [stream, 0, 0, 0, length as 32-bit big endian] then the data, stream 1
 *                    for conmon's stdout (pipe 2), 2 for its stderr (pipe 3); other packets dropped
 * Ends with status 0 when conmon closes the socket (the container exited or conmon went away).
 * DIR is opened O_PATH and the socket connected through /proc/self/fd/N/attach, so the length of
 * DIR never meets sun_path's 108-byte limit (podman does the same).
 * Errors: one line on stderr, exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hako-init.h"

/* conmon's STDIO_BUF_SIZE (8192) plus its one-byte pipe tag. */
#define PACKET_MAX (8192 + 1)
#define CONMON_STDOUT 2
#define CONMON_STDERR 3

static int connect_attach(const char *dir) {
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", dfd);
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s >= 0 && connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(s);
    s = -1;
    errno = err;
  }
  int err = errno;
  close(dfd);
  errno = err;
  return s;
}

/* One packet from conmon -> one frame on stdout. Returns 1 at end of stream, -1 on error. */
static int relay_packet(int s) {
  unsigned char pkt[PACKET_MAX];
  ssize_t n = recv(s, pkt, sizeof pkt, 0);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
  if (n == 0) return 1;
  if (n < 2 || (pkt[0] != CONMON_STDOUT && pkt[0] != CONMON_STDERR)) return 0;
  uint32_t len = (uint32_t)(n - 1);
  unsigned char head[8] = {pkt[0] == CONMON_STDOUT ? 1 : 2, 0, 0, 0, len >> 24, len >> 16, len >> 8, len};
  if (write_full(1, head, sizeof head) < 0 || write_full(1, pkt + 1, len) < 0) return -1;
  return 0;
}

/* stdin -> the socket. Returns 1 at end of input, -1 on error. */
static int relay_input(int s) {
  char buf[8192];
  ssize_t n = read(0, buf, sizeof buf);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
  if (n == 0) return 1;
  /* A SEQPACKET send is all or nothing. */
  while (send(s, buf, (size_t)n, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) return -1;
  return 0;
}

/* The relay shares the terminal's process group with hako: the terminal's ctrl-c, a group-wide
 * SIGTERM (timeout(1)) or a hangup are hako's to handle (`--sig-proxy` passes them to the container),
 * so the relay ignores them and ends with its parent instead (PR_SET_PDEATHSIG). */
static void follow_parent(void) {
  pid_t parent = getppid();
  int ignored[] = {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGALRM};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
  signal(SIGPIPE, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0); /* the parent died before the line above */
}

int attach_relay_main(const char *dir) {
  follow_parent();
  int s = connect_attach(dir);
  if (s < 0) {
    fprintf(stderr, "hako-init: attach-relay %s/attach: %s\n", dir, strerror(errno));
    return 1;
  }
  int input_open = 1;
  for (;;) {
    struct pollfd fds[2] = {{.fd = s, .events = POLLIN}, {.fd = input_open ? 0 : -1, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) {
      int r = relay_packet(s);
      if (r == 1) return 0;
      if (r < 0) break;
    }
    if (fds[1].revents) {
      int r = relay_input(s);
      if (r != 0) {
        input_open = 0;
        shutdown(s, SHUT_WR);
      }
    }
  }
  if (errno == EPIPE) return 0; /* whoever read stdout went away: a detach */
  fprintf(stderr, "hako-init: attach-relay: %s\n", strerror(errno));
  return 1;
}
