/* `hako-init netlink [NETNS]`: sends netlink messages that TypeScript built (src/network/netlink/) on
 * NETLINK_ROUTE sockets and returns what the kernel answered. Node cannot open netlink sockets; the
 * policy (which links, addresses, routes) and the encoding are TypeScript's, this only carries bytes.
 *   stdin:  records in the plan encoding, each TARGET MESSAGE ONERROR: TARGET `host` (the namespace
 *           hako-init runs in) or `ns` (NETNS), MESSAGE one netlink message (TypeScript sets its
 *           sequence number and NLM_F_ACK), ONERROR `stop` or `continue`;
 *   stdout: one record per message sent, holding every netlink message the kernel answered up to the
 *           NLMSG_ERROR (an ack is an error of 0) or NLMSG_DONE with that sequence number.
 * After an error answer to a `stop` record nothing more is sent. NETNS, when given, is opened as fd 3
 * (so IFLA_NET_NS_FD 3 in a message moves or creates a link there) and a socket is opened inside it.
 * Failures of the mode itself (no socket, bad NETNS): one line on stderr, exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hako-init.h"

#define NETNS_FD 3

static int route_socket(void) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return -1;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) return -1;
  return s;
}

/* A socket in the namespace at fd NETNS_FD; the thread returns to its own namespace afterwards. */
static int socket_in(int nsfd) {
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0) return -1;
  int s = route_socket();
  int err = errno;
  if (setns(self, CLONE_NEWNET) < 0) return -1;
  close(self);
  errno = err;
  return s;
}

static void put(const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(1, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) exit(1);
    c += w;
    n -= (size_t)w;
  }
}

/* Sends one message and collects the answers; returns the error of the final NLMSG_ERROR (0: ack). */
static int exchange(int s, const char *msg, size_t len, char **out, size_t *out_len) {
  if (len < sizeof(struct nlmsghdr)) return -EINVAL;
  uint32_t seq = ((const struct nlmsghdr *)msg)->nlmsg_seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(s, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  size_t cap = 1 << 16, used = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (cap - used < 1 << 15) buf = realloc(buf, cap *= 2);
    ssize_t n = recv(s, buf + used, cap - used, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { free(buf); return -errno; }
    int done = 0, error = 0;
    int left = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)(buf + used); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) done = 1;
      if (h->nlmsg_type == NLMSG_ERROR) { done = 1; error = ((struct nlmsgerr *)NLMSG_DATA(h))->error; }
    }
    used += (size_t)n;
    if (done) { *out = buf; *out_len = used; return error; }
  }
}

int netlink_main(int argc, char **argv) {
  int sockets[2] = {-1, -1};
  /* The namespace first: fd 3 must be it, not the host's socket. */
  if (argc > 2) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (fd != NETNS_FD && dup2(fd, NETNS_FD) < 0)) { fprintf(stderr, "netlink: %s: %s\n", argv[2], strerror(errno)); return 1; }
    if (fd != NETNS_FD) close(fd);
    sockets[1] = socket_in(NETNS_FD);
    if (sockets[1] < 0) { fprintf(stderr, "netlink: socket in %s: %s\n", argv[2], strerror(errno)); return 1; }
  }
  sockets[0] = route_socket();
  if (sockets[0] < 0) { fprintf(stderr, "netlink: socket: %s\n", strerror(errno)); return 1; }
  char *input;
  size_t input_len;
  read_all(0, &input, &input_len);
  struct plan recs = parse_plan(input, input_len);
  for (int i = 0; i < recs.count; i++) {
    char **r = recs.argv[i];
    if (recs.argc[i] != 3) { fprintf(stderr, "netlink: record %d: needs TARGET MESSAGE ONERROR\n", i); return 1; }
    int s = strcmp(r[0], "ns") == 0 ? sockets[1] : strcmp(r[0], "host") == 0 ? sockets[0] : -2;
    if (s == -2) { fprintf(stderr, "netlink: record %d: target \"%s\" is not host or ns\n", i, r[0]); return 1; }
    if (s < 0) { fprintf(stderr, "netlink: record %d: target ns without a namespace\n", i); return 1; }
    char *answer = NULL;
    size_t answer_len = 0;
    int error = exchange(s, r[1], recs.lens[i][1], &answer, &answer_len);
    if (!answer) { fprintf(stderr, "netlink: record %d: %s\n", i, strerror(-error)); return 1; }
    char head[8];
    write_u32(head, 1);
    write_u32(head + 4, (uint32_t)answer_len);
    put(head, sizeof head);
    put(answer, answer_len);
    free(answer);
    if (error != 0 && strcmp(r[2], "stop") == 0) break;
  }
  return 0;
}
