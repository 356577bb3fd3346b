/* hako-init main: read the plan from fd 3, run its operations in order, report on fd 4.
 * Everything here is mechanism; what to do and in which order was decided in TypeScript. */
#include "hako-init.h"
#include "bpf.h"
#include "ops.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

char *hook_state;
int ready_notify_fd = -1;
/* The OCI ContainerProcessState for seccomp notify, sent by the runtime at `sync seccomp`. */
static char *seccomp_state;
static int sync_fd = SYNC_FD;
/* Byte lengths of the running operation's arguments (strings may hold NULs: a compiled filter). */
static const size_t *arg_lens;
static int write_all(int fd, const char *buf, size_t len);
static void run_plan(char *buf, size_t len) __attribute__((noreturn));
static int shim_main(int argc, char **argv);
#define ENGINE_SOCKET_ARG "--engine-socket="

/* Returns -1 if the peer is gone. The sync socket is written with MSG_NOSIGNAL: once `create` has
 * returned nobody reads it, and that must be an error to report on stderr, not a SIGPIPE. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = fd == sync_fd ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void vreport(const char *op, const char *fmt, va_list ap, int err) {
  char msg[4096];
  int n = snprintf(msg, sizeof msg, "error %s: ", op);
  n += vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  if (err && n < (int)sizeof msg) n += snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(err));
  if (n >= (int)sizeof msg - 1) n = (int)sizeof msg - 2;
  /* Newlines inside the text would break the one-line protocol. */
  for (int i = 0; i < n; i++)
    if (msg[i] == '\n') msg[i] = ' ';
  msg[n++] = '\n';
  if (sync_fd < 0 || write_all(sync_fd, msg, (size_t)n) < 0) {
    write_all(2, "hako-init: ", 11);
    write_all(2, msg + 6, (size_t)n - 6);
  }
}

void fail(const char *op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(op, fmt, ap, 0);
  va_end(ap);
  _exit(127);
}

void fail_errno(const char *op, const char *fmt, ...) {
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  vreport(op, fmt, ap, err);
  va_end(ap);
  _exit(127);
}

void sync_send(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  if (sync_fd >= 0) write_all(sync_fd, line, (size_t)n);
}

void sync_close(void) {
  if (sync_fd >= 0) close(sync_fd);
  sync_fd = -1;
}

/* Reads one reply line of any length. */
static char *read_line(int fd) {
  size_t cap = 256, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      free(buf);
      return NULL;
    }
    if (c == '\n') break;
    if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
    buf[len++] = c;
  }
  buf[len] = 0;
  return buf;
}

void sync_wait(const char *name) {
  sync_send("sync %s", name);
  char *reply = read_line(sync_fd);
  if (!reply) fail("sync", "%s: the runtime went away", name);
  if (strncmp(reply, "ok", 2) == 0 && (reply[2] == 0 || reply[2] == ' ')) {
    if (reply[2] == ' ') {
      char **slot = strcmp(name, "seccomp") == 0 ? &seccomp_state : &hook_state;
      free(*slot);
      *slot = strdup(reply + 3);
    }
    free(reply);
    return;
  }
  /* The runtime refused (a hook failed): it reports that itself, we only stop. */
  if (strncmp(reply, "error ", 6) == 0) _exit(127);
  fail("sync", "%s: unexpected reply \"%s\"", name, reply);
}

unsigned long long parse_u64(const char *op, const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end) fail(op, "bad number \"%s\"", s);
  return v;
}

long long parse_i64(const char *op, const char *s) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 0);
  if (errno || end == s || *end) fail(op, "bad number \"%s\"", s);
  return v;
}

/* ---- small operations that need no module of their own ---- */

static void op_unshare(int argc, char **argv) {
  (void)argc;
  if (unshare((int)parse_u64(argv[0], argv[1])) < 0) fail_errno("unshare", "flags %s", argv[1]);
}

static void op_setns(int argc, char **argv) {
  (void)argc;
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("setns", "open %s", argv[1]);
  if (setns(fd, (int)parse_u64("setns", argv[2])) < 0) fail_errno("setns", "%s", argv[1]);
  close(fd);
}

static void op_sync(int argc, char **argv) {
  (void)argc;
  sync_wait(argv[1]);
}

static void op_write(int argc, char **argv) {
  (void)argc;
  int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("write", "open %s", argv[1]);
  size_t len = strlen(argv[2]);
  if (write(fd, argv[2], len) != (ssize_t)len) fail_errno("write", "%s to %s", argv[2], argv[1]);
  close(fd);
}

static void op_sethostname(int argc, char **argv) {
  (void)argc;
  if (sethostname(argv[1], strlen(argv[1])) < 0) fail_errno("sethostname", "%s", argv[1]);
}

/* lo_up: a new network namespace starts with lo down; runc brings it up for every new one (its
 * "loopback" network), and programs expect 127.0.0.1 to answer. An ioctl on any socket of the
 * namespace does it, no netlink needed. */
static void op_lo_up(int argc, char **argv) {
  (void)argc;
  (void)argv;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail_errno("lo_up", "socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail_errno("lo_up", "SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail_errno("lo_up", "SIOCSIFFLAGS lo");
  close(s);
}

static void op_setdomainname(int argc, char **argv) {
  (void)argc;
  if (setdomainname(argv[1], strlen(argv[1])) < 0) fail_errno("setdomainname", "%s", argv[1]);
}

static int fifo_fd = -1;

/* mkfifo PATH UID GID: the start barrier (0622 like runc: the process may have dropped to any uid), made first, while the helper still has the runtime's
 * credentials, and owned by the container's root so it can still open it from a user namespace. */
static void op_mkfifo(int argc, char **argv) {
  (void)argc;
  if (mkfifo(argv[1], 0622) < 0) fail_errno("mkfifo", "%s", argv[1]);
  if (chmod(argv[1], 0622) < 0) fail_errno("mkfifo", "chmod %s", argv[1]); /* undo the umask */
  if (chown(argv[1], (uid_t)parse_u64("mkfifo", argv[2]), (gid_t)parse_u64("mkfifo", argv[3])) < 0)
    fail_errno("mkfifo", "chown %s", argv[1]);
}

static void op_open_fifo(int argc, char **argv) {
  (void)argc;
  fifo_fd = open(argv[1], O_PATH | O_CLOEXEC);
  if (fifo_fd < 0) fail_errno("open_fifo", "%s", argv[1]);
}

static void op_ready(int argc, char **argv) {
  (void)argc, (void)argv;
  sync_send("ready");
  /* fork exit-synced: our parent (conmon's runtime) may exit now. */
  if (ready_notify_fd >= 0) {
    if (write(ready_notify_fd, "r", 1) != 1) fail_errno("ready", "telling the parent");
    close(ready_notify_fd);
    ready_notify_fd = -1;
  }
}

static void op_wait_fifo(int argc, char **argv) {
  (void)argc, (void)argv;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fifo_fd);
  /* Blocks until `hako runtime start` opens the FIFO for reading. */
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("wait_fifo", "open exec fifo");
  if (write(fd, "0", 1) != 1) fail_errno("wait_fifo", "write exec fifo");
  /* fd stays open, close-on-exec: `start` reads until end of file, which comes when the process
   * execs (or dies), so poststart hooks run after the startContainer hooks and the exec, as the
   * OCI spec orders them (runc's start reads the FIFO to its end the same way). */
  close(fifo_fd);
  fifo_fd = -1;
}

/* chdir PATH [early]: runc enters the cwd first as root (before "user"), so a directory only root
 * may search works; where that fails (root squashed on NFS, say), it tries again as the user. */
static int chdir_done;
static void op_chdir(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[2], "early") == 0) {
    chdir_done = chdir(argv[1]) == 0;
    return;
  }
  if (!chdir_done && chdir(argv[1]) < 0) fail_errno("chdir", "%s", argv[1]);
}

static void op_umask(int argc, char **argv) {
  (void)argc;
  umask((mode_t)parse_u64("umask", argv[1]));
}

static void op_no_new_privs(int argc, char **argv) {
  (void)argc, (void)argv;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_errno("no_new_privs", "prctl");
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* close_fds: mark every fd above 2 close-on-exec. close_range(2) may be refused: a seccomp profile
 * that predates it (loaded before this op when noNewPrivileges is false) answers with its default
 * errno, and kernels before 5.11 lack CLOSE_RANGE_CLOEXEC. Then, like runc and crun, walk
 * /proc/self/fd, and without /proc every possible fd. */
static void op_close_fds(int argc, char **argv) {
  /* close_fds [FROM]: FROM (default 3) is above the fds preserve_fds put in place. */
  long from = argc > 1 ? (long)parse_u64("close_fds", argv[1]) : 3;
  if (from < 3) fail("close_fds", "FROM %ld is below 3", from);
  if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    int self = dirfd(dir);
    for (struct dirent *e; (e = readdir(dir));) {
      char *end;
      long fd = strtol(e->d_name, &end, 10);
      if (*end || end == e->d_name || fd < from || fd == self) continue;
      if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF) fail_errno("close_fds", "mark fd %ld close-on-exec", fd);
    }
    closedir(dir);
    return;
  }
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = from; fd < (max > 0 ? max : 1024); fd++)
    if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF) fail_errno("close_fds", "mark fd %ld close-on-exec", fd);
}

/* preserve_fds FIRST N: runc's --preserve-fds. The caller's fds 3..3+N-1 reach us at FIRST..
 * FIRST+N-1 (3 and 4 are the plan pipe and the sync socket); they go back to 3..3+N-1, where the
 * process expects them. The plan's first operation: every fd opened after it lands above 3+N-1, so
 * none of ours is overwritten, and `close_fds 3+N` leaves exactly these without close-on-exec.
 * Ascending order is safe: FIRST >= 3, so a source is never a target already written. */
static void op_preserve_fds(int argc, char **argv) {
  (void)argc;
  long first = (long)parse_u64("preserve_fds", argv[1]), n = (long)parse_u64("preserve_fds", argv[2]);
  if (first < 3 || n < 1 || n > 1 << 20) fail("preserve_fds", "FIRST %ld N %ld out of range", first, n);
  /* The sync socket (fd 4) is still needed: move it out of the way. */
  if (sync_fd >= 0 && sync_fd < 3 + n) {
    int moved = fcntl(sync_fd, F_DUPFD_CLOEXEC, (int)(3 + n));
    if (moved < 0) fail_errno("preserve_fds", "move the sync socket");
    close(sync_fd);
    sync_fd = moved;
  }
  for (long i = 0; i < n; i++)
    if (first + i != 3 + i && dup2((int)(first + i), (int)(3 + i)) < 0) fail_errno("preserve_fds", "fd %ld to %ld", first + i, 3 + i);
  /* The sources above the preserved range are ours no more; close_fds marks whatever is left. */
  for (long i = 0; i < n; i++)
    if (first + i >= 3 + n) close((int)(first + i));
}

/* Weak: the build works before seccomp.c exists; a plan asking for seccomp then fails clearly. */
extern int hako_seccomp_load(const char *profile, size_t len, int *listener_fd, char *err, size_t errlen)
    __attribute__((weak));

extern int hako_seccomp_send_fd(int sock, int fd, const char *msg, char *err, size_t errlen) __attribute__((weak));

/* The listenerPath socket, connected before pivot_root hides the host path. */
static int seccomp_listener_sock = -1;

/* seccomp_listener PATH */
static void op_seccomp_listener(int argc, char **argv) {
  (void)argc;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) fail("seccomp_listener", "path too long: %s", argv[1]);
  strcpy(addr.sun_path, argv[1]);
  seccomp_listener_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (seccomp_listener_sock < 0) fail_errno("seccomp_listener", "socket");
  if (connect(seccomp_listener_sock, (struct sockaddr *)&addr, sizeof addr) < 0)
    fail_errno("seccomp_listener", "connect %s", argv[1]);
}

static void op_seccomp(int argc, char **argv) {
  (void)argc;
  char err[512] = "";
  int listener = -1;
  if (!hako_seccomp_load) fail("seccomp", "this hako-init was built without seccomp support");
  if (hako_seccomp_load(argv[1], arg_lens[1], &listener, err, sizeof err) < 0) fail("seccomp", "%s", err);
  if (listener < 0) return;
  /* A notify filter: hand the listener to the supervisor at listenerPath (OCI seccomp notify). */
  if (seccomp_listener_sock < 0 || !seccomp_state) fail("seccomp", "notify filter without a listener socket and process state");
  if (hako_seccomp_send_fd(seccomp_listener_sock, listener, seccomp_state, err, sizeof err) < 0) fail("seccomp", "%s", err);
  close(listener);
  close(seccomp_listener_sock);
  seccomp_listener_sock = -1;
}

/* bpf_devices CGROUPDIR PROGRAM: attach a compiled cgroup v2 device filter (PROGRAM holds NULs). */
static void op_bpf_devices(int argc, char **argv) {
  (void)argc;
  char err[4096] = "";
  if (hako_bpf_attach_devices(argv[1], argv[2], arg_lens[2], err, sizeof err) < 0) fail("bpf_devices", "%s", err);
}

/* ---- the plan ---- */

struct op_def {
  const char *name;
  int min_args; /* arguments after the name */
  op_fn fn;
};

/* The dispatch table, generated from src/native/ops.ts (the one table of plan operations, with
 * each one's arguments and what it does): a name there without its op_NAME here does not compile. */
static const struct op_def ops[] = {
#define X(name, min_args) {#name, min_args, op_##name},
    HAKO_PLAN_OPS(X)
#undef X
};

void read_all(int fd, char **out, size_t *out_len) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("plan", "read");
    if (n == 0) break;
    len += (size_t)n;
  }
  *out = buf;
  *out_len = len;
}

static uint32_t take_u32(const char *buf, size_t len, size_t *pos) {
  if (*pos + 4 > len) fail("plan", "truncated at byte %zu", *pos);
  const unsigned char *p = (const unsigned char *)buf + *pos;
  *pos += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct plan parse_plan(const char *buf, size_t len) {
  struct plan plan = {0, NULL, NULL, NULL};
  size_t pos = 0, cap = 0;
  while (pos < len) {
    uint32_t argc = take_u32(buf, len, &pos);
    if (argc == 0 || argc > 1u << 16) fail("plan", "bad argument count %u", argc);
    char **argv = calloc(argc + 1, sizeof *argv);
    size_t *lens = calloc(argc, sizeof *lens);
    for (uint32_t i = 0; i < argc; i++) {
      uint32_t n = take_u32(buf, len, &pos);
      lens[i] = n;
      if (pos + n > len) fail("plan", "truncated string at byte %zu", pos);
      argv[i] = malloc(n + 1);
      memcpy(argv[i], buf + pos, n);
      argv[i][n] = 0;
      pos += n;
    }
    if ((size_t)plan.count == cap) {
      cap = cap ? cap * 2 : 64;
      plan.argc = realloc(plan.argc, cap * sizeof *plan.argc);
      plan.argv = realloc(plan.argv, cap * sizeof *plan.argv);
      plan.lens = realloc(plan.lens, cap * sizeof *plan.lens);
    }
    plan.lens[plan.count] = lens;
    plan.argc[plan.count] = (int)argc;
    plan.argv[plan.count++] = argv;
  }
  return plan;
}

extern int hako_seccomp_export(const char *profile, size_t len, int out_fd, char *err, size_t errlen)
    __attribute__((weak));

/* `hako-init seccomp-export`: PROFILE text on stdin -> compiled filter blob on stdout, for the
 * runtime's filter cache (src/runtime/seccomp/cache.ts). */
static int seccomp_export_main(void) {
  char *buf, err[512] = "";
  size_t len;
  sync_fd = -1;
  read_all(0, &buf, &len);
  if (!hako_seccomp_export) fail("seccomp", "this hako-init was built without seccomp support");
  if (hako_seccomp_export(buf, len, 1, err, sizeof err) < 0) fail("seccomp", "%s", err);
  return 0;
}

/* `hako-init bpf-devices CGROUPDIR`: compiled device filter on stdin, attached to CGROUPDIR. The v2
 * cgroup driver calls this in create(), before any process joins the cgroup. */
static int bpf_devices_main(const char *dir) {
  char *buf, err[4096] = "";
  size_t len;
  sync_fd = -1;
  read_all(0, &buf, &len);
  if (hako_bpf_attach_devices(dir, buf, len, err, sizeof err) < 0) fail("bpf_devices", "%s", err);
  return 0;
}

/* HAKO_TRACE=1: a timestamp per operation on stderr, beside the runtime's own (src/util/trace.ts).
 * CLOCK_REALTIME in ms, because that is the clock both Node and Bun can give the runtime. */
static void trace(const char *what) {
  struct timespec ts;
  char line[160];
  clock_gettime(CLOCK_REALTIME, &ts);
  int n = snprintf(line, sizeof line, "hako-init: trace %.1f %d %s\n", ts.tv_sec * 1e3 + ts.tv_nsec / 1e6, (int)getpid(), what);
  if (n > 0) write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void write_u32(char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

static void read_exact(int fd, char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = read(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("shim", "reading the plan");
    if (n == 0) fail("shim", "the engine closed the connection before sending a plan");
    buf += n;
    len -= (size_t)n;
  }
}

/* `hako-init --engine-socket=PATH create --bundle B --pid-file F [--console-socket S] ID`: conmon
 * runs this as its OCI runtime for the engine, which is alive and listening on PATH. Instead of a
 * second Node process, we connect and send our pid and arguments (the plan encoding of one
 * operation: "shim", pid, args...); the engine places us, answers with a plan (u32le length, then
 * the plan), and the connection is our sync socket from then on. The container, our child, stays
 * conmon's (it is the subreaper), as with any runtime. */
static int shim_main(int argc, char **argv) {
  const char *path = argv[1] + strlen(ENGINE_SOCKET_ARG);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) fail("shim", "socket path too long: %s", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_errno("shim", "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail_errno("shim", "connect %s", path);
  sync_fd = fd;
  char pid[16];
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  const char *fields[argc + 1];
  fields[0] = "shim";
  fields[1] = pid;
  for (int i = 2; i < argc; i++) fields[i] = argv[i];
  int count = argc;
  size_t total = 4;
  for (int i = 0; i < count; i++) total += 4 + strlen(fields[i]);
  char *hello = malloc(total), *p = hello;
  write_u32(p, (uint32_t)count);
  p += 4;
  for (int i = 0; i < count; i++) {
    size_t n = strlen(fields[i]);
    write_u32(p, (uint32_t)n);
    memcpy(p + 4, fields[i], n);
    p += 4 + n;
  }
  if (write_all(fd, hello, total) < 0) fail_errno("shim", "sending to the engine");
  free(hello);
  char head[4];
  size_t pos = 0;
  read_exact(fd, head, 4);
  size_t len = take_u32(head, sizeof head, &pos);
  char *buf = malloc(len ? len : 1);
  read_exact(fd, buf, len);
  run_plan(buf, len);
  return 0;
}

/* The container's process starts with every signal at its default and none blocked, whatever our
 * parent left us: conmon (the engine's monitor, our parent there) ignores SIGPIPE, an ignored signal
 * stays ignored across execve, and `yes | head` in the container would then never end. runc and crun
 * reset them too. SIGKILL, SIGSTOP and glibc's internal signals refuse; that is fine. */
static void reset_signals(void) {
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

int main(int argc, char **argv) {
  char *buf;
  size_t len;
  if (argc == 2 && strcmp(argv[1], "userns-hold") == 0) return userns_hold_main();
  if (argc == 2 && strcmp(argv[1], "userns-pause") == 0) return userns_pause_main();
  if (argc > 2 && strncmp(argv[1], OPEN_FIRST_ARG, strlen(OPEN_FIRST_ARG)) == 0) {
    open_first(argv[1] + strlen(OPEN_FIRST_ARG)); /* before --userns= (userns.c) */
    argv++;
    argc--;
  }
  if (argc > 2 && strncmp(argv[1], USERNS_ARG, strlen(USERNS_ARG)) == 0) {
    /* A tool mode in the rootless engine's user namespace (userns.c); the mode's words follow. */
    join_userns(argv[1] + strlen(USERNS_ARG));
    argv++;
    argc--;
    if (argc > 2 && strncmp(argv[1], NETNS_ARG, strlen(NETNS_ARG)) == 0) {
      join_netns(argv[1] + strlen(NETNS_ARG));
      argv++;
      argc--;
    }
    if (argc > 2 && strncmp(argv[1], MNTNS_ARG, strlen(MNTNS_ARG)) == 0) {
      join_mntns(argv[1] + strlen(MNTNS_ARG));
      argv++;
      argc--;
    }
    if (argc > 2 && strcmp(argv[1], "exec") == 0) return userns_exec_main(argv + 2);
  }
  if (argc > 7 && strcmp(argv[1], PRIVATE_MOUNT_ARG) == 0) {
    /* A tool mode over a mount of its own (mountmode.c); the mode's words follow the mount's five. */
    private_mount(argv + 2);
    argv += 6;
    argc -= 6;
  }
  if (argc > 1 && strcmp(argv[1], "seccomp-export") == 0) return seccomp_export_main();
  if (argc == 3 && strcmp(argv[1], "bpf-devices") == 0) return bpf_devices_main(argv[2]);
  if (argc == 3 && strcmp(argv[1], "netns-create") == 0) return netns_create_main(argv[2]);
  if (argc == 3 && strcmp(argv[1], "netns-delete") == 0) return netns_delete_main(argv[2]);
  if ((argc == 2 || argc == 3) && strcmp(argv[1], "netlink") == 0) return netlink_main(argc, argv);
  if (argc == 3 && strcmp(argv[1], "attach-relay") == 0) { sync_close(); return attach_relay_main(argv[2]); }
  if (argc >= 3 && strcmp(argv[1], "criu-swrk") == 0) return criu_swrk_main(argc, argv); /* keeps fds 4+ for criu */
  if (argc >= 7 && strcmp(argv[1], "mount") == 0) { sync_close(); return mount_main(argc, argv); }
  if (argc == 3 && strcmp(argv[1], "umount") == 0) { sync_close(); return umount_main(argv[2]); }
  if (argc >= 3 && argc <= 6 && strcmp(argv[1], "unpack") == 0) { sync_close(); return unpack_main(argc, argv); }
  if (argc >= 3 && strcmp(argv[1], "rmtree") == 0) {
    /* rmtree PATH [MOUNT...]: detach the mounts first (a container's root filesystem inside PATH),
     * in the same process: one process start fewer per container removal. */
    sync_close();
    for (int i = 3; i < argc; i++) umount_main(argv[i]);
    return rmtree_main(argv[2]);
  }
  if (getenv("HAKO_TRACE")) trace("main");
  reset_signals();
  ensure_cloned_binary(argv);
  if (argc > 1 && strncmp(argv[1], ENGINE_SOCKET_ARG, strlen(ENGINE_SOCKET_ARG)) == 0) return shim_main(argc, argv);
  /* The sync socket must not leak into the container; exec closing it tells the runtime we made it. */
  fcntl(SYNC_FD, F_SETFD, FD_CLOEXEC);
  read_all(PLAN_FD, &buf, &len);
  close(PLAN_FD);
  run_plan(buf, len);
}

static void run_plan(char *buf, size_t len) {
  struct plan plan = parse_plan(buf, len);
  free(buf);
  /* Validate every operation name before doing anything, so a bad plan has no side effects. */
  const struct op_def *resolved[plan.count];
  for (int i = 0; i < plan.count; i++) {
    resolved[i] = NULL;
    for (size_t j = 0; j < sizeof ops / sizeof ops[0]; j++)
      if (strcmp(plan.argv[i][0], ops[j].name) == 0) resolved[i] = &ops[j];
    if (!resolved[i]) fail("plan", "unknown operation \"%s\"", plan.argv[i][0]);
    if (plan.argc[i] - 1 < resolved[i]->min_args)
      fail("plan", "%s needs %d arguments, got %d", plan.argv[i][0], resolved[i]->min_args, plan.argc[i] - 1);
  }
  int tracing = getenv("HAKO_TRACE") != NULL;
  for (int i = 0; i < plan.count; i++) {
    arg_lens = plan.lens[i];
    if (tracing) trace(plan.argv[i][0]);
    resolved[i]->fn(plan.argc[i], plan.argv[i]);
  }
  fail("plan", "ended without exec");
}
