/* tmpcopyup: copy a directory of the container's root into the tmpfs about to cover it, as runc
 * and crun do (podman's --tmpfs and --read-only ask for it). The root is hostile: the walk starts
 * from descriptors resolved inside it (mounts.c), opens every entry relative to its parent with
 * O_NOFOLLOW, and never follows a symlink; symlinks are copied as symlinks. Owner, mode, times and
 * extended attributes are kept; hard links become separate copies (as runc's copy does). */
#include "hako-init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_DEPTH 256

static void copy_xattrs(int from, int to, const char *name) {
  char names[65536], value[65536];
  ssize_t n = flistxattr(from, names, sizeof names);
  if (n < 0) {
    if (errno == ENOTSUP || errno == EOPNOTSUPP) return;
    fail_errno("mount_copyup", "list xattrs of %s", name);
  }
  for (char *p = names; p < names + n; p += strlen(p) + 1) {
    ssize_t len = fgetxattr(from, p, value, sizeof value);
    if (len < 0) continue; /* vanished, or not readable (e.g. security.* refused): runc skips too */
    /* A tmpfs without user xattrs, or a security attribute the kernel refuses: skip like runc. */
    if (fsetxattr(to, p, value, (size_t)len, 0) < 0 && errno != ENOTSUP && errno != EOPNOTSUPP && errno != EPERM)
      fail_errno("mount_copyup", "set xattr %s on %s", p, name);
  }
}

static void copy_meta(int dirfd, const char *name, int fd, const struct stat *st) {
  if (fd >= 0) {
    if (fchown(fd, st->st_uid, st->st_gid) < 0) fail_errno("mount_copyup", "chown %s", name);
    if (fchmod(fd, st->st_mode & 07777) < 0) fail_errno("mount_copyup", "chmod %s", name);
  } else if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
    fail_errno("mount_copyup", "chown %s", name);
  }
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0) fail_errno("mount_copyup", "set times of %s", name);
}

static void copy_file(int from, int to, const char *name) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("mount_copyup", "read %s", name);
    if (n == 0) return;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(to, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail_errno("mount_copyup", "write %s", name);
      off += w;
    }
  }
}

/* Copies the entries of directory FROM into directory TO (both descriptors, O_DIRECTORY). */
void copy_tree(int from, int to, int depth) {
  if (depth > MAX_DEPTH) fail("mount_copyup", "directories nested deeper than %d", MAX_DEPTH);
  int dup_fd = dup(from);
  if (dup_fd < 0) fail_errno("mount_copyup", "dup");
  DIR *dir = fdopendir(dup_fd);
  if (!dir) fail_errno("mount_copyup", "opendir");
  struct dirent *e;
  while ((errno = 0, e = readdir(dir))) {
    const char *name = e->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    struct stat st;
    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) fail_errno("mount_copyup", "stat %s", name);
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, name, 0700) < 0) fail_errno("mount_copyup", "mkdir %s", name);
      int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_from < 0) fail_errno("mount_copyup", "open %s", name);
      int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_to < 0) fail_errno("mount_copyup", "open copy of %s", name);
      copy_tree(sub_from, sub_to, depth + 1);
      copy_xattrs(sub_from, sub_to, name);
      copy_meta(to, name, sub_to, &st);
      close(sub_from);
      close(sub_to);
    } else if (S_ISREG(st.st_mode)) {
      /* O_NONBLOCK: a file swapped for a FIFO after the stat cannot block the helper. */
      int f = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (f < 0) fail_errno("mount_copyup", "open %s", name);
      struct stat again;
      if (fstat(f, &again) < 0 || !S_ISREG(again.st_mode)) fail("mount_copyup", "%s changed while being copied", name);
      int t = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (t < 0) fail_errno("mount_copyup", "create %s", name);
      copy_file(f, t, name);
      copy_xattrs(f, t, name);
      copy_meta(to, name, t, &st);
      close(f);
      close(t);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(from, name, target, sizeof target - 1);
      if (n < 0) fail_errno("mount_copyup", "readlink %s", name);
      target[n] = 0;
      if (symlinkat(target, to, name) < 0) fail_errno("mount_copyup", "symlink %s", name);
      copy_meta(to, name, -1, &st);
    } else {
      /* Devices, FIFOs and sockets: the node itself, never its content. */
      if (mknodat(to, name, st.st_mode, st.st_rdev) < 0) fail_errno("mount_copyup", "mknod %s", name);
      if (fchmodat(to, name, st.st_mode & 07777, 0) < 0) fail_errno("mount_copyup", "chmod %s", name);
      copy_meta(to, name, -1, &st);
    }
  }
  if (errno) fail_errno("mount_copyup", "readdir");
  closedir(dir);
}
