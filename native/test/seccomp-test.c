/* seccomp-test — test harness for native/seccomp.c, built by test/integration/seccomp/ with
 *   cc -D_GNU_SOURCE native/test/seccomp-test.c native/seccomp.c -lseccomp -o seccomp-test
 * (kept out of native/ itself: the Makefile links every C file of native/ into hako-init).
 *
 *   seccomp-test [--nnp] [--notify-errno N --socket PATH] PROFILE_FILE -- CMD ARGS...
 *   seccomp-test --export OUT PROFILE_FILE        write the compiled blob (hako_seccomp_export) to OUT
 *   seccomp-test --time N PROFILE_FILE            print the mean time of hako_seccomp_load in N children
 *
 * Loads PROFILE_FILE with hako_seccomp_load and execs CMD. On a load error prints the error line to
 * stderr and exits 125. --nnp sets no_new_privs first. With --notify-errno the harness forks: the
 * child loads the filter, hands the listener to PATH with hako_seccomp_send_listener (the OCI
 * listenerPath protocol) and execs CMD; the parent listens on PATH, receives the fd and the state
 * text (printed to stderr as "state: ..."), answers every notified syscall with errno N and exits
 * with the child's status (128+signal if killed).
 */
#include "../seccomp.h"

#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(125); }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (size_t r; (r = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += r;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf;
}

static int recv_fd(int sock, char *msg, size_t msglen) {
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
  struct iovec iov = {.iov_base = msg, .iov_len = msglen - 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0) return -1;
  msg[n] = '\0';
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

/* Answers every notification on FD with -ERRNO_REPLY until the filter has no users left. */
static void supervise(int fd, int errno_reply) {
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  if (seccomp_notify_alloc(&req, &resp)) { fprintf(stderr, "seccomp_notify_alloc failed\n"); return; }
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) { if (errno == EINTR) continue; break; }
    if (p.revents & (POLLHUP | POLLERR)) break;
    memset(req, 0, sizeof *req);
    if (seccomp_notify_receive(fd, req)) continue;
    resp->id = req->id;
    resp->val = 0;
    resp->error = -errno_reply;
    resp->flags = 0;
    seccomp_notify_respond(fd, resp);
  }
  seccomp_notify_free(req, resp);
}

static int export_profile(const char *in, const char *out) {
  size_t len;
  char *profile = read_file(in, &len), err[512];
  FILE *f = fopen(out, "wb");
  if (!f) { perror(out); return 125; }
  if (hako_seccomp_export(profile, len, fileno(f), err, sizeof err)) { fprintf(stderr, "%s\n", err); return 125; }
  return fclose(f) ? 125 : 0;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Mean wall time of hako_seccomp_load over N forked children (a filter can only be loaded once per
 * process, and filters stack). */
static int time_load(const char *in, int n) {
  size_t len;
  char *profile = read_file(in, &len);
  double total = 0;
  for (int i = 0; i < n; i++) {
    int p[2];
    if (pipe(p)) return 125;
    pid_t pid = fork();
    if (pid == 0) {
      char err[512];
      int fd;
      double t0 = now_ms();
      if (hako_seccomp_load(profile, len, &fd, err, sizeof err)) { fprintf(stderr, "%s\n", err); _exit(1); }
      double dt = now_ms() - t0;
      _exit(write(p[1], &dt, sizeof dt) == sizeof dt ? 0 : 1);
    }
    double dt = 0;
    int status;
    if (read(p[0], &dt, sizeof dt) != sizeof dt) return 125;
    waitpid(pid, &status, 0);
    close(p[0]);
    close(p[1]);
    total += dt;
  }
  printf("%.3f\n", total / n);
  return 0;
}

int main(int argc, char **argv) {
  int nnp = 0, notify_errno = -1, i = 1;
  const char *sock_path = NULL;
  if (argc == 4 && !strcmp(argv[1], "--export")) return export_profile(argv[3], argv[2]);
  if (argc == 4 && !strcmp(argv[1], "--time")) return time_load(argv[3], atoi(argv[2]));
  for (; i < argc && !strncmp(argv[i], "--", 2) && strcmp(argv[i], "--"); i++) {
    if (!strcmp(argv[i], "--nnp")) nnp = 1;
    else if (!strcmp(argv[i], "--notify-errno") && i + 1 < argc) notify_errno = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--socket") && i + 1 < argc) sock_path = argv[++i];
    else { fprintf(stderr, "seccomp-test: unknown option %s\n", argv[i]); return 125; }
  }
  if (i + 2 >= argc || strcmp(argv[i + 1], "--") || (notify_errno >= 0 && !sock_path)) {
    fprintf(stderr, "usage: seccomp-test [--nnp] [--notify-errno N --socket PATH] PROFILE -- CMD ARGS...\n");
    return 125;
  }
  size_t len;
  char *profile = read_file(argv[i], &len);
  char **cmd = argv + i + 2;
  char err[512];
  int listener = -1;

  if (notify_errno < 0) {
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("prctl"); return 125; }
    if (hako_seccomp_load(profile, len, &listener, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 125; }
    execvp(cmd[0], cmd);
    fprintf(stderr, "exec %s: %s\n", cmd[0], strerror(errno));
    return 127;
  }

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path);
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof addr) || listen(srv, 1)) { perror("listen"); return 125; }
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 125; }
  if (pid == 0) {
    close(srv);
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("prctl"); _exit(125); }
    if (hako_seccomp_load(profile, len, &listener, err, sizeof err)) { fprintf(stderr, "%s\n", err); _exit(125); }
    if (listener < 0) { fprintf(stderr, "seccomp-test: profile has no notify rule\n"); _exit(125); }
    if (hako_seccomp_send_listener(listener, sock_path, "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"]}", err,
                                   sizeof err)) {
      fprintf(stderr, "%s\n", err);
      _exit(125);
    }
    close(listener);
    execvp(cmd[0], cmd);
    fprintf(stderr, "exec %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  /* wait for the child's connection, unless it dies first (a load error must not hang the test) */
  int status, done = 0;
  for (;;) {
    struct pollfd p = {.fd = srv, .events = POLLIN};
    if (poll(&p, 1, 100) > 0) break;
    if (waitpid(pid, &status, WNOHANG) == pid) { done = 1; break; }
  }
  if (!done) {
    int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
    char state[512];
    int fd = conn < 0 ? -1 : recv_fd(conn, state, sizeof state);
    if (fd >= 0) {
      fprintf(stderr, "state: %s\n", state);
      supervise(fd, notify_errno);
      close(fd);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  }
  unlink(sock_path);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
