/* Standalone modes for image layers: every file system operation on an unpacked layer, a copied
 * root filesystem or a container's upper directory happens here, relative to a directory fd, and
 * never resolves a path through a symlink. TypeScript (src/storage/layers/) decides WHAT to do
 * (name checks, overlay/flatten policy, order of metadata, id mapping); this file only does it.
 *
 *   hako-init unpack [--in-root PATH] DEST [SOURCE]
 *       DEST (and SOURCE, for the copy fallback and `hako cp`) are opened O_DIRECTORY|O_NOFOLLOW
 *       once (with --in-root, DEST is a container's root and the directory PATH inside it,
 *       resolved with RESOLVE_IN_ROOT, becomes DEST); then
 *       records in the plan encoding are read from stdin as they come (a `file` record is followed
 *       by its SIZE content bytes), until end of file. Only `list` and `walk` answer on stdout.
 *   hako-init rmtree PATH
 *       removes PATH (any type; a directory with everything below it), PATH's own parents being
 *       trusted host paths; a missing PATH is fine.
 *
 * Paths in records are relative to DEST (or SOURCE), "" is DEST itself. Resolution: the parent
 * with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS), the final component
 * with *at calls that do not follow it (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW|O_EXCL). A path whose
 * parent is no longer a real directory (a later entry replaced it by a symlink) FAILS, it never
 * lands elsewhere. Device nodes and fifos are never opened; chmod, chown and xattrs of a node go
 * through an O_PATH fd of exactly that inode (fchownat AT_EMPTY_PATH, fchmodat2 or the
 * /proc/self/fd magic link), never through a path into the tree.
 *
 * Root is assumed only for what needs it (chown, mknod of devices, trusted.* xattrs): everything
 * comes on stdin and goes relative to fds, so the same worker can run inside a user namespace.
 *
 * Failure: one line "hako-init: record N: TEXT" on stderr (N counts records from 0, so
 * TypeScript can name the layer entry), exit status 127. */
#include "hako-init.h"
#include "ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; the same number on every architecture */
#endif

static long record_no = -1;
/* root_fd: DEST as opened; dest_fd: where records resolve, DEST or a directory chosen by `indest`. */
static int root_fd = -1, dest_fd = -1, source_fd = -1;

__attribute__((noreturn, format(printf, 2, 3))) static void die(int err, const char *fmt, ...) {
  char msg[4096];
  int n = record_no >= 0 ? snprintf(msg, sizeof msg, "hako-init: record %ld: ", record_no) : snprintf(msg, sizeof msg, "hako-init: ");
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  if (err && n < (int)sizeof msg) n += snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(err));
  if (n >= (int)sizeof msg - 1) n = (int)sizeof msg - 2;
  for (int i = 0; i < n; i++)
    if (msg[i] == '\n') msg[i] = ' ';
  msg[n++] = '\n';
  if (write(2, msg, (size_t)n) < 0) { /* nothing left to tell */ }
  _exit(127);
}

/* ---- input: records read incrementally (a layer can be gigabytes, never read whole) ---- */

static char inbuf[1 << 17];
static size_t in_pos, in_len;

static size_t in_fill(void) {
  if (in_pos < in_len) return in_len - in_pos;
  for (;;) {
    ssize_t n = read(0, inbuf, sizeof inbuf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(errno, "reading stdin");
    in_pos = 0;
    in_len = (size_t)n;
    return in_len;
  }
}

static void in_read(void *dst, size_t len) {
  char *p = dst;
  while (len > 0) {
    size_t avail = in_fill();
    if (avail == 0) die(0, "stdin ended inside a record");
    size_t n = avail < len ? avail : len;
    memcpy(p, inbuf + in_pos, n);
    in_pos += n, p += n, len -= n;
  }
}

static uint32_t in_u32(void) {
  unsigned char b[4];
  in_read(b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

#define MAX_ARGS 16
struct rec {
  int argc;
  char *argv[MAX_ARGS];
  size_t len[MAX_ARGS];
};

/* Returns 0 at a clean end of input. */
static int read_record(struct rec *r) {
  for (int i = 0; i < r->argc; i++) free(r->argv[i]);
  r->argc = 0;
  if (in_fill() == 0) return 0;
  record_no++;
  uint32_t argc = in_u32();
  if (argc == 0 || argc > MAX_ARGS) die(0, "bad argument count %u", argc);
  for (uint32_t i = 0; i < argc; i++) {
    uint32_t n = in_u32();
    if (n > (64u << 20)) die(0, "argument of %u bytes", n);
    r->argv[i] = malloc(n + 1);
    if (!r->argv[i]) die(ENOMEM, "record");
    in_read(r->argv[i], n);
    r->argv[i][n] = 0;
    r->len[i] = n;
    r->argc = (int)i + 1;
  }
  return 1;
}

/* ---- output (answers to list and walk) ---- */

static void out_u32(uint32_t v) {
  char b[4];
  write_u32(b, v);
  fwrite(b, 1, 4, stdout);
}
static void out_bytes(const char *p, size_t n) {
  out_u32((uint32_t)n);
  fwrite(p, 1, n, stdout);
}
static void out_str(const char *s) { out_bytes(s, strlen(s)); }
static void out_num(long long v) {
  char b[32];
  out_str((snprintf(b, sizeof b, "%lld", v), b));
}
static void out_flush(void) {
  if (fflush(stdout) != 0 || ferror(stdout)) die(errno, "writing stdout");
}

/* ---- resolution ---- */

static long long num(const char *s) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) die(0, "bad number \"%s\"", s);
  return v;
}

/* TypeScript already refused these; checked again because the worker must hold on its own. */
static void check_rel(const char *rel) {
  if (rel[0] == '/') die(0, "%s: absolute path", rel);
  for (const char *c = rel; *c;) {
    const char *e = strchr(c, '/');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) die(0, "%s: bad path component", rel);
    c += n + (e ? 1 : 0);
    if (e && !*c) die(0, "%s: trailing slash", rel);
  }
}

static int beneath(int root, const char *rel, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd;
  do fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

/* A resolved final component: its parent directory (an O_PATH fd, or root itself) and its name. */
struct at {
  int dir;
  const char *name;
  char *buf;
  const char *rel;
};

static void at_close(struct at *a) {
  if (a->dir >= 0 && a->dir != dest_fd && a->dir != source_fd && a->dir != root_fd) close(a->dir);
  free(a->buf);
}

static struct at resolve(int root, const char *rel) {
  check_rel(rel);
  if (!*rel) die(0, "the root itself cannot be replaced");
  struct at a = {.dir = root, .name = rel, .buf = NULL, .rel = rel};
  const char *slash = strrchr(rel, '/');
  if (!slash) return a;
  a.buf = strndup(rel, (size_t)(slash - rel));
  a.name = slash + 1;
  a.dir = beneath(root, a.buf, O_PATH | O_DIRECTORY);
  if (a.dir < 0) die(errno, "%s: parent %s%s", rel, a.buf, errno == ELOOP ? " (a symlink)" : errno == ENOTDIR ? " (not a directory)" : "");
  return a;
}

/* A directory itself, opened for reading (never a symlink): "" is the root. */
static int open_dir(int root, const char *rel) {
  check_rel(rel);
  int fd = beneath(root, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (fd < 0) die(errno, "%s: open directory", *rel ? rel : ".");
  return fd;
}

/* ---- removal: iterative, fds only, constant C stack, never following a symlink ---- */

/* Levels deeper than this close their directory stream while a child is removed and find their way
 * back through "..", checked against the recorded device and inode: the default limit of 1024 fds
 * must not bound the depth of a tree a container or a layer made. */
#define KEEP_OPEN 200

struct level {
  DIR *d; /* NULL while closed */
  dev_t dev;
  ino_t ino;
  char *name; /* this directory's name in its parent */
};

/* Removes everything inside the directory `top` (an fd we own, closed here). */
static void empty_dir(int top, const char *what) {
  struct stat st;
  if (fstat(top, &st) < 0) die(errno, "%s: stat", what);
  dev_t topdev = st.st_dev;
  size_t cap = 64, depth = 0;
  struct level *lv = calloc(cap, sizeof *lv);
  lv[0] = (struct level){fdopendir(top), st.st_dev, st.st_ino, NULL};
  if (!lv[0].d) die(errno, "%s: opendir", what);
  for (;;) {
    struct level *cur = &lv[depth];
    if (!cur->d) { /* come back up to a closed level: reopen through ".." and check it is the same */
      int child = dirfd(lv[depth + 1].d);
      int fd = openat(child, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fstat(fd, &st) < 0) die(errno, "%s: reopening a parent", what);
      if (st.st_dev != cur->dev || st.st_ino != cur->ino) die(0, "%s: a directory moved during removal", what);
      cur->d = fdopendir(fd);
    }
    if (depth + 1 < cap && lv[depth + 1].d) { /* a child level just emptied: remove it */
      closedir(lv[depth + 1].d);
      lv[depth + 1].d = NULL;
      if (unlinkat(dirfd(cur->d), lv[depth + 1].name, AT_REMOVEDIR) < 0) die(errno, "%s: rmdir %s", what, lv[depth + 1].name);
      free(lv[depth + 1].name);
      lv[depth + 1].name = NULL;
    }
    errno = 0;
    struct dirent *e = readdir(cur->d);
    if (!e) {
      if (errno) die(errno, "%s: readdir", what);
      if (depth == 0) break;
      depth--;
      continue;
    }
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    int dfd = dirfd(cur->d);
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
      if (unlinkat(dfd, e->d_name, 0) == 0 || errno == ENOENT) continue;
      if (errno != EISDIR) die(errno, "%s: unlink %s", what, e->d_name);
    } else if (e->d_type == DT_UNKNOWN) {
      if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: stat %s", what, e->d_name);
      if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dfd, e->d_name, 0) < 0 && errno != ENOENT) die(errno, "%s: unlink %s", what, e->d_name);
        continue;
      }
    }
    int fd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) die(errno, "%s: open %s", what, e->d_name);
    if (st.st_dev != topdev) die(0, "%s: %s is a mount point, not removed", what, e->d_name);
    if (depth + 2 >= cap) {
      lv = realloc(lv, (cap *= 2) * sizeof *lv);
      memset(lv + cap / 2, 0, cap / 2 * sizeof *lv);
    }
    cur = &lv[depth]; /* lv may have moved */
    lv[depth + 1] = (struct level){fdopendir(fd), st.st_dev, st.st_ino, strdup(e->d_name)};
    if (!lv[depth + 1].d) die(errno, "%s: opendir %s", what, e->d_name);
    if (depth >= KEEP_OPEN) {
      closedir(cur->d);
      cur->d = NULL;
    }
    depth++;
  }
  closedir(lv[0].d);
  free(lv);
}

/* Removes `name` in `dir`, whatever it is; missing is fine. */
static void remove_at(int dir, const char *name, const char *what) {
  if (unlinkat(dir, name, 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR) die(errno, "%s: unlink", what);
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die(errno, "%s: open", what);
  struct stat parent, self;
  if (fstatat(dir, "", &parent, AT_EMPTY_PATH) < 0 || fstat(fd, &self) < 0) die(errno, "%s: stat", what);
  if (parent.st_dev != self.st_dev) die(0, "%s: a mount point, not removed", what);
  empty_dir(fd, what);
  if (unlinkat(dir, name, AT_REMOVEDIR) < 0) die(errno, "%s: rmdir", what);
}

/* ---- metadata of an inode we must not open for I/O ---- */

static int open_node(struct at *a) {
  int fd = openat(a->dir, a->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die(errno, "%s: open", a->rel);
  return fd;
}

static void chown_fd(int fd, long long uid, long long gid, const char *rel) {
  if (uid < 0) return;
  if (fchownat(fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: chown", rel);
}

static void proc_path(char *buf, size_t n, int fd) { snprintf(buf, n, "/proc/self/fd/%d", fd); }

/* chmod of an O_PATH fd: fchmodat2(AT_EMPTY_PATH) where the kernel has it, else the magic link
 * /proc/self/fd/N, which names exactly this inode (not a path into the tree). Never a symlink. */
static void chmod_fd(int fd, mode_t mode, const char *rel) {
  if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0) return;
  if (errno != ENOSYS && errno != EINVAL) die(errno, "%s: chmod", rel);
  char p[64];
  proc_path(p, sizeof p, fd);
  if (chmod(p, mode) < 0) die(errno, "%s: chmod", rel);
}

/* ATIME and MTIME arguments (nanoseconds since the epoch, maybe negative) as utimensat wants them. */
static void to_times(struct timespec ts[2], const char *atime, const char *mtime) {
  long long t[2] = {num(atime), num(mtime)};
  for (int i = 0; i < 2; i++) {
    long long s = t[i] / 1000000000LL, ns = t[i] % 1000000000LL;
    if (ns < 0) ns += 1000000000LL, s--;
    ts[i] = (struct timespec){.tv_sec = s, .tv_nsec = ns};
  }
}

static void times_at(struct at *a, const char *atime, const char *mtime) {
  struct timespec ts[2];
  to_times(ts, atime, mtime);
  if (utimensat(a->dir, a->name, ts, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: utimes", a->rel);
}

/* ---- operations ---- */

/* mkdir PATH MODE IFNONDIR: an existing directory is kept; a non-directory there is replaced
 * (IFNONDIR "replace": a lower layer's file or symlink, as overlayfs would show it) or an error
 * ("fail": the layer itself made it, so it is a hostile or broken parent). */
static void up_mkdir(struct rec *r) {
  struct at a = resolve(dest_fd, r->argv[1]);
  mode_t mode = (mode_t)num(r->argv[2]) & 07777;
  int replace = strcmp(r->argv[3], "replace") == 0;
  if (mkdirat(a.dir, a.name, mode) < 0) {
    if (errno != EEXIST) die(errno, "%s: mkdir", a.rel);
    struct stat st;
    if (fstatat(a.dir, a.name, &st, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: stat", a.rel);
    if (!S_ISDIR(st.st_mode)) {
      if (!replace) die(0, "%s: %s", a.rel, S_ISLNK(st.st_mode) ? "is a symlink" : "is not a directory");
      if (unlinkat(a.dir, a.name, 0) < 0) die(errno, "%s: unlink", a.rel);
      if (mkdirat(a.dir, a.name, mode) < 0) die(errno, "%s: mkdir", a.rel);
    }
  }
  at_close(&a);
}

/* Copies `size` bytes from stdin (size >= 0) or from fd `src` (size < 0: to its end) into `fd`. */
static void copy_data(int fd, long long size, int src, const char *rel) {
  static char buf[1 << 17];
  while (size != 0) {
    const char *p;
    size_t n;
    if (size > 0) { /* from the record stream's buffer */
      size_t avail = in_fill();
      if (avail == 0) die(0, "%s: stdin ended inside the file", rel);
      n = avail < (unsigned long long)size ? avail : (size_t)size;
      p = inbuf + in_pos;
      in_pos += n;
      size -= (long long)n;
    } else {
      ssize_t got = read(src, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) die(errno, "%s: read", rel);
      if (got == 0) return;
      p = buf, n = (size_t)got;
    }
    for (size_t off = 0; off < n;) {
      ssize_t w = write(fd, p + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) die(errno, "%s: write", rel);
      off += (size_t)w;
    }
  }
}

/* A new regular file, replacing whatever was there: O_CREAT|O_EXCL|O_NOFOLLOW, private until
 * chown and chmod are done on the open fd (chown first: it clears setuid). */
static void finish_file(int fd, struct rec *r, int base, struct at *a) {
  chown_fd(fd, num(r->argv[base]), num(r->argv[base + 1]), a->rel);
  if (fchmod(fd, (mode_t)num(r->argv[base + 2]) & 07777) < 0) die(errno, "%s: chmod", a->rel);
  struct timespec ts[2];
  to_times(ts, r->argv[base + 3], r->argv[base + 4]);
  if (futimens(fd, ts) < 0) die(errno, "%s: utimes", a->rel);
  if (close(fd) < 0) die(errno, "%s: close", a->rel);
}

static int create_file(struct at *a) {
  remove_at(a->dir, a->name, a->rel);
  int fd = openat(a->dir, a->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) die(errno, "%s: create", a->rel);
  return fd;
}

/* file PATH SIZE UID GID MODE ATIME MTIME, then SIZE bytes of content. */
static void up_file(struct rec *r) {
  long long size = num(r->argv[2]);
  if (size < 0) die(0, "%s: negative size", r->argv[1]);
  struct at a = resolve(dest_fd, r->argv[1]);
  int fd = create_file(&a);
  copy_data(fd, size, -1, a.rel);
  finish_file(fd, r, 3, &a);
  at_close(&a);
}

/* copy PATH SRCPATH UID GID MODE ATIME MTIME: a regular file of SOURCE (checked to be one on an
 * O_PATH fd before it is opened for reading: never a device or fifo). */
static void up_copy(struct rec *r) {
  if (source_fd < 0) die(0, "copy without a source directory");
  check_rel(r->argv[2]);
  int p = beneath(source_fd, r->argv[2], O_PATH | O_NOFOLLOW);
  struct stat st;
  if (p < 0 || fstat(p, &st) < 0) die(errno, "%s: source %s", r->argv[1], r->argv[2]);
  if (!S_ISREG(st.st_mode)) die(0, "%s: source %s is not a regular file", r->argv[1], r->argv[2]);
  char pp[64];
  proc_path(pp, sizeof pp, p);
  int src = open(pp, O_RDONLY | O_CLOEXEC);
  if (src < 0) die(errno, "%s: open source %s", r->argv[1], r->argv[2]);
  close(p);
  struct at a = resolve(dest_fd, r->argv[1]);
  int fd = create_file(&a);
  copy_data(fd, -1, src, a.rel);
  close(src);
  finish_file(fd, r, 3, &a);
  at_close(&a);
}

/* symlink PATH TARGET UID GID ATIME MTIME */
static void up_symlink(struct rec *r) {
  struct at a = resolve(dest_fd, r->argv[1]);
  remove_at(a.dir, a.name, a.rel);
  if (symlinkat(r->argv[2], a.dir, a.name) < 0) die(errno, "%s: symlink", a.rel);
  long long uid = num(r->argv[3]), gid = num(r->argv[4]);
  if (uid >= 0 && fchownat(a.dir, a.name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: chown", a.rel);
  times_at(&a, r->argv[5], r->argv[6]);
  at_close(&a);
}

/* link PATH TARGET: a hard link to TARGET (inside DEST, resolved like PATH, not a directory). */
static void up_link(struct rec *r) {
  struct at t = resolve(dest_fd, r->argv[2]);
  struct stat st;
  if (fstatat(t.dir, t.name, &st, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: hard link target %s", r->argv[1], t.rel);
  if (S_ISDIR(st.st_mode)) die(0, "%s: hard link target %s is a directory", r->argv[1], t.rel);
  struct at a = resolve(dest_fd, r->argv[1]);
  remove_at(a.dir, a.name, a.rel);
  if (linkat(t.dir, t.name, a.dir, a.name, 0) < 0) die(errno, "%s: link to %s", a.rel, t.rel);
  at_close(&a);
  at_close(&t);
}

/* node PATH KIND MODE MAJOR MINOR UID GID ATIME MTIME: a char/block device or fifo, made 0600,
 * opened up only after chown (nobody can use it in between). */
static void up_node(struct rec *r) {
  const char *kind = r->argv[2];
  mode_t type = strcmp(kind, "char") == 0 ? S_IFCHR : strcmp(kind, "block") == 0 ? S_IFBLK : strcmp(kind, "fifo") == 0 ? S_IFIFO : 0;
  if (!type) die(0, "%s: unknown node kind \"%s\"", r->argv[1], kind);
  dev_t dev = makedev((unsigned)num(r->argv[4]), (unsigned)num(r->argv[5]));
  struct at a = resolve(dest_fd, r->argv[1]);
  remove_at(a.dir, a.name, a.rel);
  if (mknodat(a.dir, a.name, type | 0600, type == S_IFIFO ? 0 : dev) < 0) die(errno, "%s: mknod", a.rel);
  int fd = open_node(&a);
  chown_fd(fd, num(r->argv[6]), num(r->argv[7]), a.rel);
  chmod_fd(fd, (mode_t)num(r->argv[3]) & 07777, a.rel);
  close(fd);
  times_at(&a, r->argv[8], r->argv[9]);
  at_close(&a);
}

/* xattr PATH NAME VALUE: on exactly the inode at PATH (a symlink's own, never its target's). */
static void up_xattr(struct rec *r) {
  int fd = *r->argv[1] ? -1 : dup(dest_fd); /* "" is DEST (an opaque marker at the layer root) */
  if (fd < 0) {
    struct at a = resolve(dest_fd, r->argv[1]);
    fd = open_node(&a);
    at_close(&a);
  }
  char p[64];
  proc_path(p, sizeof p, fd);
  if (setxattr(p, r->argv[2], r->argv[3], r->len[3], 0) < 0) die(errno, "%s: setxattr %s", *r->argv[1] ? r->argv[1] : ".", r->argv[2]);
  close(fd);
}

/* remove PATH: whatever is there, a directory with its contents; missing is fine. */
static void up_remove(struct rec *r) {
  struct at a = resolve(dest_fd, r->argv[1]);
  remove_at(a.dir, a.name, a.rel);
  at_close(&a);
}

/* empty PATH: removes everything inside the directory PATH ("" is DEST). */
static void up_empty(struct rec *r) { empty_dir(open_dir(dest_fd, r->argv[1]), *r->argv[1] ? r->argv[1] : "."); }

/* dirmeta PATH UID GID MODE: owner then mode of a directory ("" is DEST); must be one. */
static void up_dirmeta(struct rec *r) {
  int fd = open_dir(dest_fd, r->argv[1]);
  long long uid = num(r->argv[2]), gid = num(r->argv[3]);
  if (uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) < 0) die(errno, "%s: chown", r->argv[1]);
  if (fchmod(fd, (mode_t)num(r->argv[4]) & 07777) < 0) die(errno, "%s: chmod", r->argv[1]);
  close(fd);
}

/* dirtime PATH ATIME MTIME: a directory's times, last (creating children changes them). */
static void up_dirtime(struct rec *r) {
  int fd = open_dir(dest_fd, r->argv[1]);
  struct timespec ts[2];
  to_times(ts, r->argv[2], r->argv[3]);
  if (futimens(fd, ts) < 0) die(errno, "%s: utimes", r->argv[1]);
  close(fd);
}

/* xattrs PATH: answers one record ("x", NAME, VALUE, ...) with the xattrs of the inode at PATH,
 * then ("end"). */
static void out_xattrs(int fd, const char *rel);
static void up_xattrs(struct rec *r) {
  int fd = *r->argv[1] ? -1 : open_dir(dest_fd, "");
  if (fd < 0) {
    struct at a = resolve(dest_fd, r->argv[1]);
    fd = open_node(&a);
    at_close(&a);
  }
  out_xattrs(fd, r->argv[1]);
  close(fd);
  out_u32(1);
  out_str("end");
  out_flush();
}

static char type_char(mode_t m) {
  return S_ISDIR(m) ? 'd' : S_ISREG(m) ? 'f' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : 's';
}

/* list PATH: answers one record per entry of directory PATH, ("e", NAME, TYPE), then ("end"). */
static void up_list(struct rec *r) {
  int fd = open_dir(dest_fd, r->argv[1]);
  DIR *d = fdopendir(fd);
  if (!d) die(errno, "%s: opendir", r->argv[1]);
  struct dirent *e;
  while ((errno = 0, e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "%s: stat %s", r->argv[1], e->d_name);
    char t[2] = {type_char(st.st_mode), 0};
    out_u32(3);
    out_str("e");
    out_str(e->d_name);
    out_str(t);
  }
  if (errno) die(errno, "%s: readdir", r->argv[1]);
  closedir(d);
  out_u32(1);
  out_str("end");
  out_flush();
}

/* The xattrs of an O_PATH fd as one record ("x", NAME, VALUE, ...), through its magic link
 * (listxattr/getxattr of /proc/self/fd/N act on exactly that inode). */
static void out_xattrs(int fd, const char *rel) {
  char p[64];
  proc_path(p, sizeof p, fd);
  ssize_t size = listxattr(p, NULL, 0);
  char *names = NULL;
  while (size > 0) {
    names = realloc(names, (size_t)size);
    ssize_t got = listxattr(p, names, (size_t)size);
    if (got >= 0 || errno != ERANGE) { size = got; break; }
    size = listxattr(p, NULL, 0);
  }
  if (size < 0 && errno != ENOTSUP && errno != EOPNOTSUPP) die(errno, "%s: listxattr", rel);
  uint32_t count = 0;
  for (ssize_t i = 0; i < size; i += (ssize_t)strlen(names + i) + 1) count++;
  out_u32(1 + 2 * count);
  out_str("x");
  for (ssize_t i = 0; i < size; i += (ssize_t)strlen(names + i) + 1) {
    ssize_t n = getxattr(p, names + i, NULL, 0);
    char *value = malloc(n > 0 ? (size_t)n : 1);
    if (n > 0) n = getxattr(p, names + i, value, (size_t)n);
    if (n < 0) die(errno, "%s: getxattr %s", rel, names + i);
    out_str(names + i);
    out_bytes(value, (size_t)n);
    free(value);
  }
  free(names);
}

/* One entry as walk and realpath answer it, from an O_PATH fd of exactly that inode: ("e", PATH,
 * TYPE, MODE, UID, GID, MAJOR, MINOR, SIZE, NLINK, INO, ATIME, MTIME, LINKTARGET), then a record
 * ("x", NAME, VALUE, ...) with its xattrs. */
static void emit_entry(int node, const char *rel) {
  struct stat st;
  if (fstat(node, &st) < 0) die(errno, "source %s: stat", rel);
  char target[4097] = "";
  if (S_ISLNK(st.st_mode)) {
    ssize_t tl = readlinkat(node, "", target, sizeof target - 1);
    if (tl < 0) die(errno, "source %s: readlink", rel);
    target[tl] = 0;
  }
  char t[2] = {type_char(st.st_mode), 0};
  out_u32(14);
  out_str("e");
  out_str(rel);
  out_str(t);
  out_num(st.st_mode & 07777);
  out_num(st.st_uid);
  out_num(st.st_gid);
  out_num(major(st.st_rdev));
  out_num(minor(st.st_rdev));
  out_num(st.st_size);
  out_num((long long)st.st_nlink);
  out_num((long long)st.st_ino);
  out_num(st.st_atim.tv_sec * 1000000000LL + st.st_atim.tv_nsec);
  out_num(st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
  out_str(target);
  out_xattrs(node, rel);
}

/* The id of the mount fd is on (0 where statx cannot say, which then is every fd's). */
static uint64_t mount_id(int fd) {
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID)) return 0;
  return stx.stx_mnt_id;
}

/* Every entry below SOURCE (or below its directory TOP), parents before children (breadth first,
 * no recursion), one emit_entry each, paths relative to SOURCE; then ("end"). */
static void walk_from(const char *top) {
  if (source_fd < 0) die(0, "walk without a source directory");
  if (*top) check_rel(top);
  /* A running container's root (rootless `cp`/`export` through /proc/PID/root) has its mounts on
   * it: /proc, /sys, volumes. Their mount points are listed, their contents are not (docker's
   * export leaves volumes out too; the rootful walk sees no mounts at all). */
  uint64_t top_mount = 0;
  size_t cap = 64, head = 0, tail = 0;
  char **queue = malloc(cap * sizeof *queue);
  queue[tail++] = strdup(top);
  while (head < tail) {
    char *dir = queue[head++];
    int fd = *dir ? beneath(source_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : dup(source_fd);
    if (fd < 0) die(errno, "source %s: open directory", dir);
    if (head == 1) top_mount = mount_id(fd); /* TOP's own, which may itself be a volume */
    DIR *d = fdopendir(fd);
    if (!d) die(errno, "source %s: opendir", dir);
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      size_t n = strlen(dir) + strlen(e->d_name) + 2;
      char *rel = malloc(n);
      snprintf(rel, n, *dir ? "%s/%s" : "%s%s", dir, e->d_name);
      int node = openat(fd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (node < 0 || fstat(node, &st) < 0) die(errno, "source %s: stat", rel);
      emit_entry(node, rel);
      int other_mount = S_ISDIR(st.st_mode) && mount_id(node) != top_mount;
      close(node);
      if (S_ISDIR(st.st_mode) && !other_mount) {
        if (tail == cap) queue = realloc(queue, (cap *= 2) * sizeof *queue);
        queue[tail++] = rel;
      } else {
        free(rel);
      }
    }
    if (errno) die(errno, "source %s: readdir", dir);
    closedir(d);
    free(dir);
  }
  free(queue);
  out_u32(1);
  out_str("end");
  out_flush();
}

/* walk: everything below SOURCE. */
static void up_walk(struct rec *r) {
  (void)r;
  walk_from("");
}

/* walkfrom PATH: everything below SOURCE's directory PATH (`hako cp`, `diff`). */
static void up_walkfrom(struct rec *r) { walk_from(r->argv[1]); }

/* ---- `hako cp`: a path inside a container's root, resolved as the container would ---- */

/* PATH resolved inside ROOT as if ROOT were "/" (RESOLVE_IN_ROOT: absolute symlinks and ".."
 * stay inside it), never through a magic link. */
static int in_root(int root, const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  do fd = (int)syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

/* ---- build steps (src/build): a destination inside a container root, reading a source ---- */

/* indest PATH: PATH is resolved inside DEST as if DEST were "/" (openat2 RESOLVE_IN_ROOT: a
 * symlink, absolute or with "..", stays inside DEST, as the container would see it), missing
 * directories are made (0755, owner of this process), and later records resolve beneath it.
 * DEST is a container root in the making: its symlinks are the image's, never followed out. */
/* Makes the directories of PATH (relative to DEST, resolved inside it) that are missing; `what`
 * names the record in errors. */
static void dirs_in_root(const char *what, const char *path) {
  size_t n = strlen(path);
  char *prefix = malloc(n + 1);
  for (size_t end = 0; end <= n;) {
    size_t next = end;
    while (next < n && path[next] != '/') next++;
    memcpy(prefix, path, next);
    prefix[next] = 0;
    int fd = in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT && next > end) {
      char *parent = strndup(path, end > 0 ? end - 1 : 0);
      int pfd = in_root(root_fd, parent, O_PATH | O_DIRECTORY);
      if (pfd < 0) die(errno, "%s: parent %s", what, parent);
      char *name = strndup(path + end, next - end);
      if (strcmp(name, "..") != 0 && strcmp(name, ".") != 0 && mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) die(errno, "%s: mkdir %s", what, prefix);
      free(name);
      free(parent);
      close(pfd);
      fd = in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) die(errno, "%s: %s%s", what, *prefix ? prefix : "/", errno == ENOTDIR ? " (not a directory)" : errno == ENOENT ? " (a dangling symlink?)" : "");
    close(fd);
    end = next + 1;
    while (end < n && path[end] == '/') end++;
  }
  free(prefix);
}

static void up_indest(struct rec *r) {
  const char *path = r->argv[1];
  while (*path == '/') path++;
  dirs_in_root(r->argv[1], path);
  int fd = in_root(root_fd, path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) die(errno, "%s: open directory", r->argv[1]);
  if (dest_fd != root_fd) close(dest_fd);
  dest_fd = fd;
}

/* mountpoint PATH KIND: a mount's target inside DEST, a container root (resolved in it, as
 * `indest`), made where missing: its directories, then PATH itself as an empty directory or file
 * (KIND `dir` or `file`). Anything already there is kept (runc's mount points for a restore). */
static void up_mountpoint(struct rec *r) {
  const char *path = r->argv[1];
  while (*path == '/') path++;
  const char *slash = strrchr(path, '/');
  char *parent = strndup(path, slash ? (size_t)(slash - path) : 0);
  const char *name = slash ? slash + 1 : path;
  if (!*name || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) die(0, "%s: not a mount point name", r->argv[1]);
  dirs_in_root(r->argv[1], parent);
  int pfd = in_root(root_fd, parent, O_PATH | O_DIRECTORY);
  if (pfd < 0) die(errno, "%s: parent", r->argv[1]);
  if (strcmp(r->argv[2], "dir") == 0) {
    if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) die(errno, "%s: mkdir", r->argv[1]);
  } else {
    int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) die(errno, "%s: create", r->argv[1]);
    if (fd >= 0) close(fd);
  }
  close(pfd);
  free(parent);
}

/* SOURCE's regular file PATH opened for reading. It is checked to be one on an O_PATH fd before it
 * is opened (through /proc/self/fd, so the check and the open are the same inode): never a device
 * or fifo, never through a symlink. */
static int open_source_file(const char *path, struct stat *st) {
  int p = beneath(source_fd, path, O_PATH | O_NOFOLLOW);
  if (p < 0 || fstat(p, st) < 0) die(errno, "source %s", path);
  if (!S_ISREG(st->st_mode)) die(0, "source %s is not a regular file", path);
  char pp[64];
  proc_path(pp, sizeof pp, p);
  int fd = open(pp, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(errno, "source %s: open", path);
  close(p);
  return fd;
}

/* read PATH OFFSET LENGTH: answers ("d", BYTES) with up to LENGTH bytes of the regular file PATH
 * of SOURCE from OFFSET (fewer at its end), then ("end"). The file is checked to be one on an
 * O_PATH fd before it is opened: never a device or fifo, never through a symlink. */
static void up_read(struct rec *r) {
  if (source_fd < 0) die(0, "read without a source directory");
  check_rel(r->argv[1]);
  long long off = num(r->argv[2]), len = num(r->argv[3]);
  if (off < 0 || len < 0 || len > (1 << 24)) die(0, "%s: bad range", r->argv[1]);
  struct stat st;
  int fd = open_source_file(r->argv[1], &st);
  char *buf = malloc(len > 0 ? (size_t)len : 1);
  size_t got = 0;
  while (got < (size_t)len) {
    ssize_t n = pread(fd, buf + got, (size_t)len - got, off + (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(errno, "read source %s", r->argv[1]);
    if (n == 0) break;
    got += (size_t)n;
  }
  close(fd);
  out_u32(2);
  out_str("d");
  out_bytes(buf, got);
  free(buf);
  out_u32(1);
  out_str("end");
  out_flush();
}

/* Where fd is, relative to root ("" for root itself), from the kernel's names of both. Later
 * operations resolve the answer again beneath root without symlinks: a tree changed in between
 * makes them fail, never lead elsewhere. */
static char *rel_of(int root, int fd, const char *what) {
  char rp[64], fp[64], r[4097], f[4097];
  proc_path(rp, sizeof rp, root);
  proc_path(fp, sizeof fp, fd);
  ssize_t rn = readlink(rp, r, sizeof r - 1), fn = readlink(fp, f, sizeof f - 1);
  if (rn < 0 || fn < 0) die(errno, "%s: readlink", what);
  r[rn] = f[fn] = 0;
  if (strcmp(r, f) == 0) return strdup("");
  /* A root that is "/" to the kernel: a running rootless container's, seen from its own namespace. */
  if (strcmp(r, "/") == 0 && f[0] == '/') return strdup(f + 1);
  if (strncmp(f, r, (size_t)rn) != 0 || f[rn] != '/') die(0, "%s: resolved outside the root", what);
  return strdup(f + rn + 1);
}

/* realpath WHICH PARENT NAME FOLLOW: PARENT (a container path) resolved inside the root (WHICH:
 * `dest` or `source`), then its entry NAME ("" for PARENT itself), a symlink followed inside the
 * root only when FOLLOW is 1. Answers emit_entry of what is there, or ("missing", PATH) when NAME
 * does not exist, PATH relative to the root; then ("end"). */
static void up_realpath(struct rec *r) {
  int root = strcmp(r->argv[1], "source") == 0 ? source_fd : dest_fd;
  if (root < 0) die(0, "realpath: no %s directory", r->argv[1]);
  const char *parent = r->argv[2], *name = r->argv[3];
  if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) die(0, "realpath: bad name \"%s\"", name);
  int pfd = in_root(root, parent, O_PATH | O_DIRECTORY);
  if (pfd < 0) die(errno, "%s", parent);
  char *prel = rel_of(root, pfd, parent);
  size_t n = strlen(prel) + strlen(name) + 2;
  char *rel = malloc(n);
  snprintf(rel, n, *prel && *name ? "%s/%s" : "%s%s", prel, name);
  int node = *name ? openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC) : dup(pfd);
  struct stat st;
  if (node < 0 && errno != ENOENT) die(errno, "%s/%s", parent, name);
  if (node >= 0 && r->argv[4][0] == '1' && fstat(node, &st) == 0 && S_ISLNK(st.st_mode)) {
    close(node);
    size_t m = strlen(parent) + strlen(name) + 2;
    char *full = malloc(m);
    snprintf(full, m, "%s/%s", parent, name);
    node = in_root(root, full, O_PATH);
    if (node < 0 && errno != ENOENT) die(errno, "%s", full);
    free(rel);
    rel = node >= 0 ? rel_of(root, node, full) : NULL;
    free(full);
    if (!rel) die(ENOENT, "%s/%s: the symbolic link's target", parent, name);
  }
  if (node >= 0) {
    emit_entry(node, rel);
    close(node);
  } else {
    out_u32(2);
    out_str("missing");
    out_str(rel);
  }
  close(pfd);
  free(prel);
  free(rel);
  out_u32(1);
  out_str("end");
  out_flush();
}

/* open PATH: a regular file of SOURCE opened for reading (checked on an O_PATH fd first: never a
 * device or fifo), kept open for the caller to read through /proc/PID/fd/N; answers ("fd", N,
 * SIZE), then ("end"). closefd N closes it again. */
#define MAX_OPEN 64
static int opened[MAX_OPEN];
static int n_opened;

static void up_open(struct rec *r) {
  if (source_fd < 0) die(0, "open without a source directory");
  check_rel(r->argv[1]);
  if (n_opened == MAX_OPEN) die(0, "%s: too many open files", r->argv[1]);
  struct stat st;
  int fd = open_source_file(r->argv[1], &st);
  opened[n_opened++] = fd;
  out_u32(3);
  out_str("fd");
  out_num(fd);
  out_num(st.st_size);
  out_u32(1);
  out_str("end");
  out_flush();
}

static void up_closefd(struct rec *r) {
  long long fd = num(r->argv[1]);
  for (int i = 0; i < n_opened; i++) {
    if (opened[i] != fd) continue;
    close(opened[i]);
    opened[i] = opened[--n_opened];
    return;
  }
  die(0, "closefd %lld: not a file opened by open", fd);
}

/* The dispatch table, generated from src/native/ops.ts (UNPACK_RECORDS: each record's arguments and
 * what it does): a name there without its up_NAME here does not compile. */
static const struct {
  const char *name;
  int args;
  void (*fn)(struct rec *);
} unpack_ops[] = {
#define X(name, nargs) {#name, nargs, up_##name},
    HAKO_UNPACK_RECORDS(X)
#undef X
};

static int open_root(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die(errno, "%s: not a directory", path);
  return fd;
}

int unpack_main(int argc, char **argv) {
  int a = 2;
  const char *in = NULL;
  if (argc > 3 && strcmp(argv[2], "--in-root") == 0) in = argv[3], a = 4;
  if (a >= argc || argc > a + 2) die(0, "usage: hako-init unpack [--in-root PATH] DEST [SOURCE]");
  dest_fd = root_fd = open_root(argv[a]);
  if (in) { /* `hako cp` into a container: DEST is its root (kept as root_fd), PATH the directory inside it */
    dest_fd = in_root(root_fd, in, O_RDONLY | O_DIRECTORY);
    if (dest_fd < 0) die(errno, "%s", in);
  }
  if (argc > a + 1) source_fd = open_root(argv[a + 1]);
  umask(0); /* every mode is set explicitly */
  struct rec r = {0};
  while (read_record(&r)) {
    size_t j = 0;
    while (j < sizeof unpack_ops / sizeof unpack_ops[0] && strcmp(r.argv[0], unpack_ops[j].name) != 0) j++;
    if (j == sizeof unpack_ops / sizeof unpack_ops[0]) die(0, "unknown operation \"%s\"", r.argv[0]);
    if (r.argc - 1 != unpack_ops[j].args) die(0, "%s needs %d arguments, got %d", r.argv[0], unpack_ops[j].args, r.argc - 1);
    unpack_ops[j].fn(&r);
  }
  return 0;
}

/* hako-init rmtree PATH: PATH's parents are trusted (the store, a container directory), PATH
 * itself and everything below it are not. */
int rmtree_main(const char *path) {
  if (!*path) die(0, "rmtree: empty path");
  char *copy = strdup(path);
  char *slash = strrchr(copy, '/');
  const char *name = copy;
  int dir = AT_FDCWD;
  if (slash) {
    *slash = 0;
    name = slash + 1;
    dir = open(slash == copy ? "/" : copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
      if (errno == ENOENT) return 0;
      die(errno, "rmtree %s: open parent", path);
    }
  }
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) die(0, "rmtree %s: not a removable name", path);
  remove_at(dir, name, path);
  return 0;
}
