/* Process operations: fork (and the tiny foreground monitor), the console, credentials,
 * capabilities, rlimits, hooks and the final execve. */
#include "hako-init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int relay_fd = -1;
static int console_fd = -1;

/* ---- fd passing (the OCI console-socket protocol: one SCM_RIGHTS message, data = pty name;
 * sending is send_fd in io.c) ---- */

static int recv_fd(int sock) {
  char data[256], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

/* ---- fork and the foreground monitor ---- */

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

static int pump(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return -1;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    off += w;
  }
  return 0;
}

static struct termios saved_termios;
static int termios_saved;

/* The host terminal goes raw while relaying, so keys (Ctrl-C too) reach the container's pty, and
 * comes back as it was when the container exits. Its output processing (OPOST) stays on, as runc's
 * SetRaw leaves it: the container's pty has ONLCR cleared, so the host terminal's ONLCR is what
 * turns "\n" into "\r\n" on the screen. O_NONBLOCK is cleared: the runtime's own tty handles may
 * have set it on the shared file description. */
static void host_tty_raw(void) {
  if (!isatty(0) || tcgetattr(0, &saved_termios) < 0) return;
  termios_saved = 1;
  struct termios raw = saved_termios;
  cfmakeraw(&raw);
  raw.c_oflag |= OPOST;
  tcsetattr(0, TCSANOW, &raw);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
}

static void __attribute__((noreturn)) leave(int code) {
  if (termios_saved) tcsetattr(0, TCSANOW, &saved_termios);
  _exit(code);
}

/* ---- stdio pipes: the caller's terminal is copied, never handed to the container ---- */

/* Without a terminal of its own, a foreground container gets a pipe for each of fds 0-2 that is a
 * tty, as `runc run` (foreground, no tty) and docker do: the caller's terminal handed over as stdio
 * could be chown'd or chmod'd by container root through /proc/self/fd/N, or (with CAP_SYS_ADMIN)
 * take TIOCSTI. The monitor copies: the caller's stdin into the pipe (closing it at EOF), the
 * pipes out to the caller's stdout/stderr. Each stream holds at most one buffer, and the monitor
 * reads only once that buffer is written, so it never blocks on a full pipe or a slow terminal
 * while signals wait. Its pipe ends are non-blocking; the caller's fds are left as they are (they
 * may be shared, and non-blocking, with `hako`'s own handles). */
struct stream {
  int from, to;   /* -1 once closed */
  int to_pipe;    /* stdin: from the caller's tty into the container's pipe */
  int paused;     /* stdin read from a background process group (EIO): wait for a signal (SIGCONT) */
  int sink_dead;  /* the caller's side is gone (hangup): the container's output is read and dropped */
  size_t len, off;
  char buf[4096];
};
static struct stream streams[3];
static int nstreams;

/* Called in the parent after fork: ENDS[fd] is our end of the pipe for FD, or -1. */
static void streams_init(int ends[3]) {
  for (int fd = 0; fd < 3; fd++) {
    if (ends[fd] < 0) continue;
    struct stream *st = &streams[nstreams++];
    memset(st, 0, sizeof *st);
    st->to_pipe = fd == 0;
    st->from = fd == 0 ? 0 : ends[fd];
    st->to = fd == 0 ? ends[fd] : fd;
    fcntl(ends[fd], F_SETFL, fcntl(ends[fd], F_GETFL) | O_NONBLOCK);
  }
}

static void stream_close(struct stream *st) {
  /* Only our pipe end is ours to close; the caller's fds stay open. */
  if (st->to_pipe && st->to >= 0) close(st->to);
  if (!st->to_pipe && st->from >= 0) close(st->from);
  st->from = st->to = -1;
  st->len = st->off = 0;
}

/* The pollfd this stream waits on now, or 0 if none: POLLOUT on its destination while the buffer
 * holds data, else POLLIN on its source. */
static int stream_pollfd(struct stream *st, struct pollfd *p) {
  if (st->from < 0 && st->len == st->off) return 0;
  if (st->len > st->off) {
    *p = (struct pollfd){.fd = st->to, .events = POLLOUT};
    return 1;
  }
  if (st->paused || st->from < 0) return 0;
  *p = (struct pollfd){.fd = st->from, .events = POLLIN};
  return 1;
}

/* One step of the copy, after poll said the fd from stream_pollfd is ready. */
static void stream_step(struct stream *st) {
  if (st->len > st->off) {
    ssize_t w = st->sink_dead ? (ssize_t)(st->len - st->off) : write(st->to, st->buf + st->off, st->len - st->off);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      /* EPIPE: the container closed its stdin; EIO: the caller's terminal hung up. */
      if (st->to_pipe) {
        stream_close(st);
        return;
      }
      st->sink_dead = 1;
      w = (ssize_t)(st->len - st->off);
    }
    st->off += (size_t)w;
    if (st->off == st->len) st->len = st->off = 0;
    return;
  }
  ssize_t n = read(st->from, st->buf, sizeof st->buf);
  if (n > 0) {
    st->len = (size_t)n, st->off = 0;
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    /* EIO on the caller's tty: we are in a background process group (Ctrl-Z), SIGTTIN blocked. */
    if (n < 0 && errno == EIO && st->to_pipe) {
      st->paused = 1;
      return;
    }
    stream_close(st); /* EOF: for stdin, the container reads EOF too */
  }
}

/* Once the child has exited: everything it wrote goes out before we exit with its status. Our
 * pipe ends are non-blocking, so a process the container left holding its stdout cannot keep us. */
static void streams_drain(void) {
  for (int k = 0; k < nstreams; k++) {
    struct stream *st = &streams[k];
    if (st->to_pipe) continue;
    for (int spins = 0; spins < 100000 && (st->from >= 0 || st->len > st->off); spins++) {
      struct pollfd p;
      if (!stream_pollfd(st, &p)) break;
      if (poll(&p, 1, p.events == POLLOUT ? 1000 : 0) <= 0) break;
      stream_step(st);
    }
  }
}

/* Reaps whatever has exited; leaves with CHILD's status once it is among them. */
static void reap(pid_t child, int master) {
  int status;
  pid_t w;
  while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
    if (w != child) continue;
    /* Drain what the container wrote last before leaving. */
    if (master >= 0)
      while (poll(&(struct pollfd){.fd = master, .events = POLLIN}, 1, 0) > 0 && pump(master, 1) == 0) {
      }
    streams_drain();
    leave(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

/* Whether to pass SI on to the container: everything sent to us (`hako` forwards to us what it is
 * sent), and the kernel's too (SI_KERNEL): the container has a session of its own (op_fork), so the
 * terminal's Ctrl-C, Ctrl-\, Ctrl-Z and hangup reach only our process group, `hako` and us, and we
 * pass them on. `hako` ignores SIGINT and SIGQUIT rather than send a second copy
 * (src/runtime/runtime.ts). A hangup's SIGHUP it does forward (it cannot tell it from a `kill -HUP`
 * meant for the container); that copy and the kernel's merge here when the second arrives before we
 * read the first, so dropping either could lose the hangup, and the container may see it twice, as
 * it did before it had a session of its own. Not SIGTTIN/SIGTTOU: they stop us, not the container,
 * for touching the terminal from the background. */
static int for_container(const struct signalfd_siginfo *si) {
  if (si->ssi_signo == SIGCHLD) return 0;
  /* Our own write to a stdin pipe the container closed (stream_step handles the EPIPE). */
  if (si->ssi_signo == SIGPIPE && si->ssi_pid == (uint32_t)getpid()) return 0;
  if ((int)si->ssi_code != SI_KERNEL) return 1;
  return si->ssi_signo != SIGTTIN && si->ssi_signo != SIGTTOU;
}

/* Waits for CHILD, forwarding every signal to it and, with a relay channel, copying between our stdio
 * and the container's pty. Exits with the child's status, or 128+signal like a shell. Every signal
 * has been blocked since before the fork (op_fork), so none sent to us in between, SIGCHLD above
 * all, is lost: each waits, pending, for the signalfd. */
static void __attribute__((noreturn)) monitor(pid_t child, int relay, const sigset_t *all) {
  if (relay >= 0) host_tty_raw();
  int sfd = signalfd(-1, all, SFD_CLOEXEC);
  if (sfd < 0) fail_errno("fork", "signalfd");
  /* The child may be gone already; its SIGCHLD is pending and would be read too, but a waitpid
   * costs nothing and does not depend on that. */
  reap(child, -1);
  int master = -1, in_open = 1;
  for (;;) {
    struct pollfd p[4 + 3];
    int n = 0;
    p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (relay >= 0) p[n++] = (struct pollfd){.fd = relay, .events = POLLIN};
    int imaster = -1, istdin = -1;
    if (master >= 0) {
      imaster = n;
      p[n++] = (struct pollfd){.fd = master, .events = POLLIN};
      if (in_open) istdin = n, p[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    }
    int istream[3];
    for (int k = 0; k < nstreams; k++) istream[k] = stream_pollfd(&streams[k], &p[n]) ? n++ : -1;
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      fail_errno("monitor", "poll");
    }
    if (relay >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
      master = recv_fd(relay);
      close(relay);
      relay = -1;
      if (master >= 0) copy_winsize(0, master);
    }
    if (imaster >= 0 && (p[imaster].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (pump(master, 1) < 0) {
        /* EIO: every slave end closed; the process is gone or detached from the tty. */
        close(master);
        master = -1;
      }
    }
    if (istdin >= 0 && (p[istdin].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (pump(0, master) < 0) in_open = 0;
    }
    for (int k = 0; k < nstreams; k++)
      if (istream[k] >= 0 && p[istream[k]].revents) stream_step(&streams[k]);
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si) continue;
      /* A signal (SIGCONT after `fg`, above all) may mean we are back in the foreground. */
      for (int k = 0; k < nstreams; k++) streams[k].paused = 0;
      if (si.ssi_signo == SIGWINCH) {
        if (master >= 0) copy_winsize(0, master);
      } else if (for_container(&si)) {
        kill(child, (int)si.ssi_signo);
      }
      reap(child, master);
    }
  }
}

/* One byte from a pipe: 1, or 0 if the other end closed first (its process failed). */
static int read_byte(int fd) {
  char byte;
  ssize_t n;
  while ((n = read(fd, &byte, 1)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

/* fork MODE TTY */
void op_fork(int argc, char **argv) {
  (void)argc;
  int wait = strcmp(argv[1], "wait") == 0;
  int pair[2] = {-1, -1};
  if (strcmp(argv[2], "relay") == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    fail_errno("fork", "socketpair");
  /* The runtime must know the container's pid before anything the child says (`ready`, a sync
   * point): the child waits on this pipe until the parent has reported it. */
  int order[2];
  if (pipe2(order, O_CLOEXEC) < 0) fail_errno("fork", "pipe");
  /* exit-synced (conmon's runtime call, see shim_main in hako-init.c): conmon reads the pid file
   * as soon as we exit and stops listening on the console socket, so the parent exits only once the
   * pid file is written and the child is ready. */
  int synced = strcmp(argv[1], "exit-synced") == 0;
  int readyp[2] = {-1, -1};
  if (synced && pipe2(readyp, O_CLOEXEC) < 0) fail_errno("fork", "pipe");
  /* A waiting parent blocks every signal before it forks, not once the monitor runs: a child that
   * exits in between would otherwise send a SIGCHLD that nobody ever reads, and the monitor would
   * wait for it forever. Signals for the container that arrive meanwhile are forwarded later. */
  sigset_t all, before;
  sigfillset(&all);
  if (wait) sigprocmask(SIG_BLOCK, &all, &before);
  /* A foreground process without a terminal of its own (TTY `none`) gets pipes for the caller's
   * ttys (the stdio pipes above); with a terminal (`relay`, or `socket`: a console socket of the
   * caller's) its pty replaces its stdio, and the caller's stdin is not ours to read. */
  int stdio[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  if (wait && strcmp(argv[2], "none") == 0)
    for (int fd = 0; fd < 3; fd++)
      if (isatty(fd) && pipe2(stdio[fd], O_CLOEXEC) < 0) fail_errno("fork", "stdio pipe");
  pid_t pid = fork();
  if (pid < 0) fail_errno("fork", "fork");
  if (pid == 0) {
    /* The container process starts with the mask main() left us (reset_signals: none blocked). */
    if (wait) sigprocmask(SIG_SETMASK, &before, NULL);
    for (int fd = 0; fd < 3; fd++) {
      if (stdio[fd][0] < 0) continue;
      /* stdin gets the read end, stdout and stderr the write end; dup2 clears O_CLOEXEC. */
      if (dup2(stdio[fd][fd == 0 ? 0 : 1], fd) < 0) fail_errno("fork", "stdio pipe");
      close(stdio[fd][0]);
      close(stdio[fd][1]);
    }
    if (pair[0] >= 0) close(pair[0]);
    relay_fd = pair[1];
    /* The container must die with a foreground `run`, not linger as an orphan. */
    if (wait) prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(order[1]);
    if (!read_byte(order[0])) _exit(127); /* the parent failed to report us and has said why */
    close(order[0]);
    /* A session of its own, as runc's stage 2 does: the caller's terminal is never the container's
     * controlling terminal (no TIOCSTI into the user's shell, none of its job-control signals);
     * `console` makes the container's own pty the controlling terminal of this session. A fresh
     * child is never a process group leader, so this cannot fail. */
    if (setsid() < 0) fail_errno("fork", "setsid");
    if (synced) {
      close(readyp[0]);
      ready_notify_fd = readyp[1];
    }
    return;
  }
  close(order[0]);
  sync_send("pid %d", pid);
  /* The child is still held, so only we read the sync socket. */
  if (synced) sync_wait("pidfile");
  if (write(order[1], "p", 1) != 1) fail_errno("fork", "releasing the child");
  close(order[1]);
  sync_close();
  if (synced) {
    close(readyp[1]);
    _exit(read_byte(readyp[0]) ? 0 : 1); /* no byte: the child failed, and told the runtime why */
  }
  if (!wait) _exit(0);
  if (pair[1] >= 0) close(pair[1]);
  int ours[3];
  for (int fd = 0; fd < 3; fd++) {
    ours[fd] = stdio[fd][fd == 0 ? 1 : 0];
    if (stdio[fd][0] >= 0) close(stdio[fd][fd == 0 ? 0 : 1]);
  }
  streams_init(ours);
  monitor(pid, pair[0], &all);
}

/* ---- console ---- */

/* console_socket PATH: connect before pivot_root hides the host's socket path. */
void op_console_socket(int argc, char **argv) {
  (void)argc;
  if (strcmp(argv[1], "@relay") == 0) {
    if (relay_fd < 0) fail("console_socket", "no relay channel (fork without TTY relay)");
    console_fd = relay_fd;
    return;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) fail("console_socket", "path too long: %s", argv[1]);
  strcpy(addr.sun_path, argv[1]);
  console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (console_fd < 0) fail_errno("console_socket", "socket");
  if (connect(console_fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail_errno("console_socket", "connect %s", argv[1]);
}

/* console ROWS COLS: a pty from the container's own devpts; master to the socket, slave as stdio. */
void op_console(int argc, char **argv) {
  if (console_fd < 0) fail("console", "no console socket");
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail_errno("console", "open /dev/ptmx");
  if (unlockpt(master) < 0) fail_errno("console", "unlockpt");
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) fail_errno("console", "ptsname");
  unsigned short rows = (unsigned short)parse_u64("console", argv[1]), cols = (unsigned short)parse_u64("console", argv[2]);
  if (rows && cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    ioctl(master, TIOCSWINSZ, &ws);
  } else if (console_fd == relay_fd) {
    /* Relayed (foreground -it): the caller's size, now, before the process can run. The monitor
     * copies it too, but only once it has received the master, and a process that asks first
     * (`stty size`, a shell laying out its prompt) would see 0x0, which busybox's stty reports
     * as a failure with a stale errno ("No child processes"). runc applies consoleSize here. */
    copy_winsize(0, master);
  }
  int slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) fail_errno("console", "open %s", name);
  /* -onlcr: "\n" stays "\n" on the way out (runc's ClearONLCR for a terminal it relays itself); done
   * here, before the process can write, not when the relay receives the master. */
  if (argc > 3 && strcmp(argv[3], "-onlcr") == 0) {
    struct termios t;
    if (tcgetattr(slave, &t) < 0) fail_errno("console", "tcgetattr %s", name);
    t.c_oflag &= ~(tcflag_t)ONLCR;
    if (tcsetattr(slave, TCSANOW, &t) < 0) fail_errno("console", "clear ONLCR on %s", name);
  }
  if (send_fd(console_fd, master, name) < 0) fail_errno("console", "send pty master");
  close(master);
  close(console_fd);
  console_fd = -1;
  /* The fork's child leads its own session already (op_fork); a plan without a fork starts one. */
  if (getsid(0) != getpid() && setsid() < 0) fail_errno("console", "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail_errno("console", "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) fail_errno("console", "dup2");
  if (slave > 2) close(slave);
}

/* ---- stdio that is a host device ---- */

/* reopen_stdio (PATH MAJOR MINOR)…: a stdio descriptor that is the character device MAJOR:MINOR,
 * but not the container's own PATH, is the host's node (`</dev/null` given to the runtime, Node's
 * 'ignore'), and container root may chmod or chown it through /proc/self/fd. It is replaced by the
 * container's PATH, opened with the same access mode, as runc's reOpenDevNull does for /dev/null.
 * Runs in the container's root (after pivot_root, or after joining it for an exec), before dropping
 * privileges. PATH may have been replaced by anything (an exec joins a running container): its last
 * component is not followed, no magic link on the way is, a FIFO does not block us, and what opens
 * must be the same device, or this fails rather than hand the container the host's. */
void op_reopen_stdio(int argc, char **argv) {
  if ((argc - 1) % 3 != 0) fail("reopen_stdio", "arguments come in threes (PATH MAJOR MINOR), got %d", argc - 1);
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0) {
      if (errno == EBADF) continue; /* closed: nothing of the host's */
      fail_errno("reopen_stdio", "fstat fd %d", fd);
    }
    if (!S_ISCHR(st.st_mode)) continue;
    for (int i = 1; i + 2 < argc; i += 3) {
      const char *path = argv[i];
      dev_t dev = makedev((unsigned)parse_u64("reopen_stdio", argv[i + 1]), (unsigned)parse_u64("reopen_stdio", argv[i + 2]));
      if (st.st_rdev != dev) continue;
      int mode = fcntl(fd, F_GETFL);
      if (mode < 0) fail_errno("reopen_stdio", "fd %d", fd);
      struct open_how how = {
          .flags = (uint64_t)((mode & O_ACCMODE) | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC),
          .resolve = RESOLVE_NO_MAGICLINKS,
      };
      int own = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
      if (own < 0) fail_errno("reopen_stdio", "fd %d is the host's %s; the container's own %s", fd, path, path);
      struct stat ost;
      if (fstat(own, &ost) < 0) fail_errno("reopen_stdio", "fstat %s", path);
      if (!S_ISCHR(ost.st_mode) || ost.st_rdev != dev)
        fail("reopen_stdio", "fd %d is the host's %s, and the container's %s is another file", fd, path, path);
      if (ost.st_dev != st.st_dev || ost.st_ino != st.st_ino) {
        if (fcntl(own, F_SETFL, 0) < 0) fail_errno("reopen_stdio", "clear O_NONBLOCK on %s", path);
        if (dup3(own, fd, 0) < 0) fail_errno("reopen_stdio", "dup3 %s onto fd %d", path, fd);
      }
      close(own);
      break;
    }
  }
}

/* ---- credentials and capabilities ---- */

/* runc's fixStdioPermissions: stdio the process cannot reopen otherwise (its pty above all) is
 * handed to its uid, the group kept (devpts' tty group); /dev/null and what it owns already are
 * left alone, and so is what the user namespace cannot map (EINVAL, EPERM). */
static void give_stdio(uid_t uid) {
  struct stat null_st;
  if (stat("/dev/null", &null_st) < 0) fail_errno("user", "stat /dev/null");
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0) {
      if (errno == EBADF) continue;
      fail_errno("user", "fstat stdio %d", fd);
    }
    if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev)) continue;
    if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM) fail_errno("user", "chown stdio %d to %u", fd, uid);
  }
}

/* user UID GID GROUPS: KEEPCAPS so the permitted set survives leaving uid 0; "caps" sets it after. */
void op_user(int argc, char **argv) {
  (void)argc;
  uid_t uid = (uid_t)parse_u64("user", argv[1]);
  gid_t gid = (gid_t)parse_u64("user", argv[2]);
  give_stdio(uid);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail_errno("user", "keepcaps");
  if (strcmp(argv[3], "-") != 0) {
    gid_t groups[256];
    size_t n = 0;
    char *copy = strdup(argv[3]), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < 256; t = strtok_r(NULL, ",", &save))
      groups[n++] = (gid_t)parse_u64("user", t);
    if (setgroups(n, groups) < 0) fail_errno("user", "setgroups %s", argv[3]);
    free(copy);
  }
  if (setresgid(gid, gid, gid) < 0) fail_errno("user", "setresgid %u", gid);
  if (setresuid(uid, uid, uid) < 0) fail_errno("user", "setresuid %u", uid);
}

static int last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  char buf[16] = "";
  if (fd >= 0) {
    if (read(fd, buf, sizeof buf - 1) < 0) buf[0] = 0;
    close(fd);
  }
  return buf[0] ? atoi(buf) : CAP_LAST_CAP;
}

/* caps_bounding MASK: drop every capability not in MASK from the bounding set. Done while still
 * privileged (CAP_SETPCAP), before "user". */
void op_caps_bounding(int argc, char **argv) {
  (void)argc;
  unsigned long long keep = parse_u64("caps_bounding", argv[1]);
  for (int cap = 0, last = last_cap(); cap <= last; cap++)
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      fail_errno("caps_bounding", "drop capability %d", cap);
}

/* caps EFFECTIVE PERMITTED INHERITABLE AMBIENT */
void op_caps(int argc, char **argv) {
  (void)argc;
  unsigned long long e = parse_u64("caps", argv[1]), p = parse_u64("caps", argv[2]),
                     i = parse_u64("caps", argv[3]), a = parse_u64("caps", argv[4]);
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {
      {.effective = (uint32_t)e, .permitted = (uint32_t)p, .inheritable = (uint32_t)i},
      {.effective = (uint32_t)(e >> 32), .permitted = (uint32_t)(p >> 32), .inheritable = (uint32_t)(i >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0) fail_errno("caps", "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail_errno("caps", "clear ambient");
  for (int cap = 0, last = last_cap(); cap <= last; cap++)
    if ((a & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      fail_errno("caps", "raise ambient capability %d", cap);
}

/* rlimit RESOURCE SOFT HARD */
void op_rlimit(int argc, char **argv) {
  (void)argc;
  int res = (int)parse_u64("rlimit", argv[1]);
  struct rlimit rl = {.rlim_cur = (rlim_t)parse_u64("rlimit", argv[2]), .rlim_max = (rlim_t)parse_u64("rlimit", argv[3])};
  if (setrlimit(res, &rl) < 0) {
    if (errno == EPERM) {
      struct rlimit cur;
      getrlimit(res, &cur);
      if (rl.rlim_max > cur.rlim_max)
        fail("rlimit", "resource %d: raising the hard limit from %llu to %llu needs CAP_SYS_RESOURCE, which this runtime does not have: Operation not permitted",
             res, (unsigned long long)cur.rlim_max, (unsigned long long)rl.rlim_max);
    }
    fail_errno("rlimit", "resource %d soft %s hard %s", res, argv[2], argv[3]);
  }
}

/* ---- hooks ---- */

/* hook TIMEOUT PATH N ARG×N ENV…: run in the current namespaces, state JSON on stdin. */
void op_hook(int argc, char **argv) {
  long timeout = (long)parse_i64("hook", argv[1]);
  const char *path = argv[2];
  int n = (int)parse_u64("hook", argv[3]);
  if (4 + n > argc) fail("hook", "%s: argument count", path);
  char **args = calloc((size_t)n + 1, sizeof *args), **env = calloc((size_t)(argc - 4 - n) + 1, sizeof *env);
  for (int k = 0; k < n; k++) args[k] = argv[4 + k];
  for (int k = 4 + n; k < argc; k++) env[k - 4 - n] = argv[k];
  if (n == 0) args[0] = (char *)path, args[1] = NULL;
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) fail_errno("hook", "pipe");
  pid_t pid = fork();
  if (pid < 0) fail_errno("hook", "fork");
  if (pid == 0) {
    dup2(in[0], 0);
    execve(path, args, env);
    fail_errno("hook", "exec %s", path);
  }
  close(in[0]);
  const char *state = hook_state ? hook_state : "{}";
  signal(SIGPIPE, SIG_IGN);
  if (write(in[1], state, strlen(state)) < 0 && errno != EPIPE) fail_errno("hook", "write state to %s", path);
  close(in[1]);
  signal(SIGPIPE, SIG_DFL);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int status;
    pid_t w = waitpid(pid, &status, timeout > 0 ? WNOHANG : 0);
    if (w == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
      if (WIFEXITED(status)) fail("hook", "%s exited with status %d", path, WEXITSTATUS(status));
      fail("hook", "%s killed by signal %d", path, WTERMSIG(status));
    }
    if (w < 0 && errno != EINTR) fail_errno("hook", "wait %s", path);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      fail("hook", "%s timed out after %ld s", path, timeout);
    }
    usleep(1000);
  }
  free(args);
  free(env);
}

/* ---- exec ---- */

static char resolved[4096];

/* Exec failures are worded as runc's (Go's exec.LookPath and os.PathError, with Go's lower-case
 * errno texts): engines turn them into exit codes by matching words, e.g. docker gives 127 for
 * "no such file or directory" and "executable file not found in $PATH", 126 for "permission
 * denied", and 125 (its own failure) for anything else. */
static const char *go_strerror(int err) {
  static char text[256];
  snprintf(text, sizeof text, "%s", strerror(err));
  if (text[0] >= 'A' && text[0] <= 'Z') text[0] = (char)(text[0] - 'A' + 'a');
  return text;
}

/* Sets errno when not: a directory or device is EACCES, which is what execve would say of it
 * (without it the error read "exec: /etc" and no reason). */
static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  if (!S_ISREG(st.st_mode)) {
    errno = EACCES;
    return 0;
  }
  return access(path, X_OK) == 0;
}

/* resolve ARG0 PATHVAR: find the executable like execvp would, before the start barrier, so
 * "not found" is reported by create and not lost after start. */
void op_resolve(int argc, char **argv) {
  (void)argc;
  const char *arg0 = argv[1];
  if (strchr(arg0, '/')) {
    struct stat st;
    if (stat(arg0, &st) < 0) fail("exec", "\"%s\": stat %s: %s", arg0, arg0, go_strerror(errno));
    if (!executable(arg0)) fail("exec", "\"%s\": %s", arg0, go_strerror(EACCES));
    snprintf(resolved, sizeof resolved, "%s", arg0);
    return;
  }
  char *path = strdup(argv[2][0] ? argv[2] : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    snprintf(resolved, sizeof resolved, "%s/%s", *dir ? dir : ".", arg0);
    if (executable(resolved)) {
      free(path);
      return;
    }
  }
  fail("exec", "\"%s\": executable file not found in $PATH", arg0);
}

/* Set by `home`: HOME=DIR for the exec's environment. */
static char *home_env;

/* home UID: the process's environment has no HOME; like runc and crun, take it from the
 * container's own /etc/passwd (we are past pivot_root, or inside its mount namespace for an exec),
 * "/" when there is no entry. Parsed here, not with getpwuid: NSS would load the image's
 * libraries into this process. A hostile image's /etc/passwd may be anything: only a regular file
 * of at most 4 MiB is read, without blocking on a FIFO. */
void op_home(int argc, char **argv) {
  (void)argc;
  unsigned long long uid = parse_u64("home", argv[1]);
  const char *home = "/";
  static char buf[4 << 20];
  ssize_t len = 0;
  int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    for (ssize_t n; len < (ssize_t)sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - (size_t)len)) > 0;) len += n;
  }
  if (fd >= 0) close(fd);
  buf[len > 0 ? len : 0] = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *field[7] = {0}; /* name:password:uid:gid:gecos:home:shell */
    int count = 0;
    for (char *p = line; count < 7; count++) {
      field[count] = p;
      char *colon = strchr(p, ':');
      if (!colon) { count++; break; }
      *colon = 0;
      p = colon + 1;
    }
    char *end;
    if (count < 6 || !field[2][0]) continue;
    unsigned long long u = strtoull(field[2], &end, 10);
    if (*end || u != uid) continue;
    if (field[5][0]) home = field[5];
    break;
  }
  if (asprintf(&home_env, "HOME=%s", home) < 0) fail_errno("home", "asprintf");
}

/* exec N ARG×N ENV… (and HOME from `home`, if that ran) */
void op_exec(int argc, char **argv) {
  int n = (int)parse_u64("exec", argv[1]);
  if (n < 1 || 2 + n > argc) fail("exec", "argument count");
  char **args = calloc((size_t)n + 1, sizeof *args), **env = calloc((size_t)(argc - 2 - n) + 2, sizeof *env);
  for (int k = 0; k < n; k++) args[k] = argv[2 + k];
  for (int k = 2 + n; k < argc; k++) env[k - 2 - n] = argv[k];
  if (home_env) env[argc - 2 - n] = home_env;
  execve(resolved[0] ? resolved : args[0], args, env);
  fail("exec", "%s: %s", resolved[0] ? resolved : args[0], go_strerror(errno));
}
