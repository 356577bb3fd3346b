/* Filesystem operations: mounts resolved safely inside the rootfs, device nodes, pivot_root.
 * Safety: every path inside the container's rootfs is resolved with openat2(RESOLVE_IN_ROOT), so a
 * symlink in an image (say /proc -> /etc) can only ever point somewhere inside the rootfs. The mount
 * then targets the resolved file descriptor through /proc/self/fd/N, not the path string. */
#include "hako-init.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int openat2_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .mode = 0,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;
  do fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

static int open_root(const char *op, const char *root) {
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno(op, "open root %s", root);
  return fd;
}

/* Opens the parent directory of PATH inside ROOTFD (creating missing directories) and returns the
 * last component in *name (pointing into a static copy). */
static int open_parent_in_root(const char *op, int rootfd, const char *path, char **name);
static void mkdir_in_root(const char *op, int rootfd, const char *path);

/* A path whose last component is a dangling symlink: where creating it should happen instead,
 * resolved like the kernel would inside the root (absolute targets start at the root). */
static int follow_dangling(int rootfd, const char *path, char *out, size_t outlen) {
  char *name;
  int parent = open_parent_in_root("mount", rootfd, path, &name);
  char target[4096];
  ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
  close(parent);
  if (n < 0) return -1;
  target[n] = 0;
  const char *slash = strrchr(path, '/');
  int dirlen = target[0] == '/' || !slash ? 0 : (int)(slash - path);
  if ((size_t)dirlen + (size_t)n + 2 > outlen) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (target[0] == '/') memcpy(out, target, (size_t)n + 1);
  else {
    memcpy(out, path, (size_t)dirlen);
    out[dirlen] = '/';
    memcpy(out + dirlen + 1, target, (size_t)n + 1);
  }
  return 0;
}

/* Creates the directories of PATH (relative to root) one component at a time, each step resolved
 * inside the root, so a symlinked component cannot redirect the creation outside. A component that
 * is a dangling symlink is created where it points, inside the root (as runc's securejoin does). */
static void mkdir_in_root_depth(const char *op, int rootfd, const char *path, int depth) {
  char buf[4096];
  if (depth > 40) fail(op, "too many levels of symbolic links: %s", path);
  if (strlen(path) >= sizeof buf) fail(op, "path too long: %s", path);
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != 0) continue;
    char saved = *p;
    *p = 0;
    if (buf[0]) {
      int fd = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
      if (fd >= 0) close(fd);
      else if (errno == ENOENT) {
        char *name;
        int parent = open_parent_in_root(op, rootfd, buf, &name);
        if (mkdirat(parent, name, 0755) < 0) {
          if (errno != EEXIST) fail_errno(op, "mkdir %s", buf);
          char next[4096];
          if (follow_dangling(rootfd, buf, next, sizeof next) == 0) mkdir_in_root_depth(op, rootfd, next, depth + 1);
        }
        close(parent);
      } else fail_errno(op, "open %s", buf);
    }
    *p = saved;
    if (!saved) break;
  }
}

static void mkdir_in_root(const char *op, int rootfd, const char *path) {
  mkdir_in_root_depth(op, rootfd, path, 0);
}

static int open_parent_in_root(const char *op, int rootfd, const char *path, char **name) {
  static char copy[4096];
  char dir[4096];
  if (strlen(path) >= sizeof copy) fail(op, "path too long: %s", path);
  strcpy(copy, path);
  char *slash = strrchr(copy, '/');
  *name = slash ? slash + 1 : copy;
  if (!**name) fail(op, "path %s has no last component", path);
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - copy) : 0, copy);
  if (!dir[0]) strcpy(dir, "/");
  int fd = openat2_in_root(rootfd, dir, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ENOENT) {
    mkdir_in_root(op, rootfd, dir);
    fd = openat2_in_root(rootfd, dir, O_PATH | O_DIRECTORY);
  }
  if (fd < 0) fail_errno(op, "open %s", dir);
  return fd;
}

/* Resolves PATH inside ROOT, creating it as CREATE says ("none", "dir", "file"). */
static int resolve_in_root(const char *op, const char *root, const char *path, const char *create);
static int resolve_in_root(const char *op, const char *root, const char *path, const char *create) {
  int rootfd = open_root(op, root);
  int fd = openat2_in_root(rootfd, path, O_PATH);
  if (fd < 0 && errno == ENOENT && strcmp(create, "none") != 0) {
    if (strcmp(create, "dir") == 0) mkdir_in_root(op, rootfd, path);
    else {
      char *name;
      int parent = open_parent_in_root(op, rootfd, path, &name);
      int f = openat(parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      close(parent);
      if (f >= 0) close(f);
      else if (errno == ELOOP || errno == EEXIST) {
        /* A dangling symlink: create its target, inside the root, one level at a time. */
        char next[4096];
        if (follow_dangling(rootfd, path, next, sizeof next) < 0) fail_errno(op, "readlink %s", path);
        close(rootfd);
        static int links_followed;
        if (++links_followed > 40) fail(op, "too many levels of symbolic links: %s", path);
        return resolve_in_root(op, root, next, create);
      } else fail_errno(op, "create %s", path);
    }
    fd = openat2_in_root(rootfd, path, O_PATH);
  }
  if (fd < 0) fail_errno(op, "%s in %s", path, root);
  close(rootfd);
  return fd;
}

/* Fails if the last component of PATH inside ROOT is a symlink (missing is fine: it is created). */
static void refuse_symlink(const char *op, const char *root, const char *path, const char *fstype) {
  int rootfd = open_root(op, root);
  char *name;
  int parent = open_parent_in_root(op, rootfd, path, &name);
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    fail(op, "filesystem \"%s\" must be mounted on ordinary directory: %s is a symlink", fstype, path);
  close(parent);
  close(rootfd);
}

/* Bind sources cloned by open_tree before a new user namespace was entered (op_open_tree). */
#define MAX_TREES 256
static int trees[MAX_TREES];
static int ntrees;

/* open_tree N PATH REC: a detached copy of the mount at PATH (with what is mounted beneath it if REC
 * is 1), taken as the caller, while host paths only the caller may search are still reachable; a
 * later mount with SOURCE "@tree:N" attaches it. */
void op_open_tree(int argc, char **argv) {
  (void)argc;
  int n = (int)parse_u64("open_tree", argv[1]);
  if (n != ntrees || n >= MAX_TREES) fail("open_tree", "tree %d out of order", n);
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (strcmp(argv[3], "1") == 0 ? AT_RECURSIVE : 0);
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, argv[2], flags);
  if (fd < 0) fail_errno("open_tree", "%s", argv[2]);
  trees[ntrees++] = fd;
}

/* mount ROOT SOURCE DEST FSTYPE FLAGS DATA CREATE */
void op_mount(int argc, char **argv) {
  (void)argc;
  const char *root = argv[1], *source = argv[2], *dest = argv[3], *fstype = argv[4], *data = argv[6];
  unsigned long flags = (unsigned long)parse_u64("mount", argv[5]);
  char target[64];
  const char *where = dest;
  int fd = -1;
  if (root[0]) {
    /* runc (CVE-2019-19921): proc and sysfs go on an ordinary directory, never through a symlink
     * the image placed there (a /proc -> elsewhere could defeat masked and read-only paths). */
    if (strcmp(fstype, "proc") == 0 || strcmp(fstype, "sysfs") == 0) refuse_symlink("mount", root, dest, fstype);
    fd = resolve_in_root("mount", root, dest, argv[7]);
    snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
    where = target;
  }
  if (strncmp(source, "@tree:", 6) == 0) {
    int n = (int)parse_u64("mount", source + 6);
    if (n >= ntrees || fd < 0) fail("mount", "no tree %s for %s", source, dest);
    if (syscall(SYS_move_mount, trees[n], "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      fail_errno("mount", "attach %s on %s%s", source, root, dest);
    close(trees[n]);
    trees[n] = -1;
    close(fd);
    return;
  }
  if (mount(source[0] ? source : NULL, where, fstype[0] ? fstype : NULL, flags, data[0] ? data : NULL) < 0)
    fail_errno("mount", "%s on %s%s (type %s, flags 0x%lx, data \"%s\")", source[0] ? source : "none", root, dest,
               fstype[0] ? fstype : "none", flags, data);
  if (fd >= 0) close(fd);
}

/* mknod ROOT PATH MODE MAJOR MINOR UID GID */
void op_mknod(int argc, char **argv) {
  (void)argc;
  int rootfd = open_root("mknod", argv[1]);
  char *name;
  int parent = open_parent_in_root("mknod", rootfd, argv[2], &name);
  mode_t mode = (mode_t)parse_u64("mknod", argv[3]);
  dev_t dev = makedev((unsigned)parse_u64("mknod", argv[4]), (unsigned)parse_u64("mknod", argv[5]));
  if (mknodat(parent, name, mode, dev) < 0) {
    if (errno != EEXIST) fail_errno("mknod", "%s", argv[2]);
  } else {
    /* mknod applies the umask; the config's fileMode is what the device must have. */
    if (fchmodat(parent, name, mode & 07777, 0) < 0) fail_errno("mknod", "chmod %s", argv[2]);
    if (fchownat(parent, name, (uid_t)parse_u64("mknod", argv[6]), (gid_t)parse_u64("mknod", argv[7]),
                 AT_SYMLINK_NOFOLLOW) < 0)
      fail_errno("mknod", "chown %s", argv[2]);
  }
  close(parent);
  close(rootfd);
}

/* symlink ROOT TARGET LINKPATH */
void op_symlink(int argc, char **argv) {
  (void)argc;
  int rootfd = open_root("symlink", argv[1]);
  char *name;
  int parent = open_parent_in_root("symlink", rootfd, argv[3], &name);
  if (symlinkat(argv[2], parent, name) < 0 && errno != EEXIST) fail_errno("symlink", "%s -> %s", argv[3], argv[2]);
  close(parent);
  close(rootfd);
}

/* pivot_root ROOT: the runc way, pivot_root(".", ".") then detach the old root stacked underneath,
 * which needs no directory for the old root inside the container's filesystem. */
void op_pivot_root(int argc, char **argv) {
  (void)argc;
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) fail_errno("pivot_root", "open /");
  int newroot = open(argv[1], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) fail_errno("pivot_root", "open %s", argv[1]);
  if (fchdir(newroot) < 0) fail_errno("pivot_root", "chdir %s", argv[1]);
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail_errno("pivot_root", "%s", argv[1]);
  if (fchdir(oldroot) < 0) fail_errno("pivot_root", "chdir old root");
  /* Unmounting must not propagate to the host: make the old root a slave first. */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail_errno("pivot_root", "make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) fail_errno("pivot_root", "detach old root");
  if (chdir("/") < 0) fail_errno("pivot_root", "chdir /");
  close(oldroot);
  close(newroot);
}

/* chroot ROOT [in-place]: for roots pivot_root refuses (ramfs/rootfs), in a mount namespace of the
 * container's own: move ROOT onto / first, as pivot_root would leave it. With in-place (the
 * caller's mount namespace, the host's) only chroot: moving would cover the host's root. */
void op_chroot(int argc, char **argv) {
  int in_place = argc > 2 && strcmp(argv[2], "in-place") == 0;
  if (chdir(argv[1]) < 0) fail_errno("chroot", "chdir %s", argv[1]);
  if (!in_place && mount(argv[1], "/", NULL, MS_MOVE, NULL) < 0) fail_errno("chroot", "move %s to /", argv[1]);
  if (chroot(".") < 0) fail_errno("chroot", "%s", argv[1]);
  if (chdir("/") < 0) fail_errno("chroot", "chdir /");
}

/* mkdirs PATH: create PATH and its missing parents (0755, before the umask op), as runc and crun
 * create a missing cwd. Runs after pivot_root, so every path and symlink is the container's own. */
void op_mkdirs(int argc, char **argv) {
  (void)argc;
  char path[4096];
  if (snprintf(path, sizeof path, "%s", argv[1]) >= (int)sizeof path) fail("mkdirs", "path too long: %s", argv[1]);
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != 0) continue;
    char c = *p;
    *p = 0;
    if (mkdir(path, 0755) < 0 && errno != EEXIST) fail_errno("mkdirs", "%s", path);
    *p = c;
    if (!c) break;
  }
  struct stat st;
  if (stat(path, &st) < 0) fail_errno("mkdirs", "%s", path);
  if (!S_ISDIR(st.st_mode)) fail("mkdirs", "%s: not a directory", path);
}

/* mask PATH: hide what the container must not see. Missing paths are fine (not every kernel has them). */
void op_mask(int argc, char **argv) {
  (void)argc;
  struct stat st;
  if (stat(argv[1], &st) < 0) {
    if (errno == ENOENT) return;
    fail_errno("mask", "%s", argv[1]);
  }
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", argv[1], "tmpfs", MS_RDONLY, NULL) < 0) fail_errno("mask", "tmpfs over %s", argv[1]);
  } else if (mount("/dev/null", argv[1], NULL, MS_BIND, NULL) < 0) {
    fail_errno("mask", "/dev/null over %s", argv[1]);
  }
}

/* The flags a read-only remount must keep: in a user namespace the kernel refuses to clear locked ones. */
static unsigned long kept_flags(const char *path) {
  struct statvfs sv;
  unsigned long flags = 0;
  if (statvfs(path, &sv) < 0) return 0;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

/* readonly PATH BIND: make PATH read-only; BIND=1 first binds it onto itself (a sub-path of a mount),
 * BIND=0 remounts the mount already there (the rootfs itself). Missing paths are fine. */
void op_readonly(int argc, char **argv) {
  (void)argc;
  const char *path = argv[1];
  if (strcmp(argv[2], "1") == 0 && mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT) return;
    fail_errno("readonly", "bind %s", path);
  }
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(path), NULL) < 0)
    fail_errno("readonly", "remount %s read-only", path);
}

/* mount_copyup ROOT DEST FLAGS DATA: a tmpfs over DEST holding a copy of what DEST held (runc's and
 * crun's "tmpcopyup"). DEST is opened (resolved inside ROOT, created if missing) before the tmpfs
 * covers it, so the copy reads the covered directory through that descriptor; the tmpfs is mounted
 * writable for the copy and remounted read-only afterwards if FLAGS asks for it. */
void op_mount_copyup(int argc, char **argv) {
  (void)argc;
  const char *root = argv[1], *dest = argv[2], *data = argv[4];
  unsigned long flags = (unsigned long)parse_u64("mount_copyup", argv[3]);
  int at = resolve_in_root("mount_copyup", root, dest, "dir");
  char where[64];
  snprintf(where, sizeof where, "/proc/self/fd/%d", at);
  int old = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (old < 0) fail_errno("mount_copyup", "open %s in %s", dest, root);
  if (mount("tmpfs", where, "tmpfs", flags & ~(unsigned long)MS_RDONLY, data[0] ? data : NULL) < 0)
    fail_errno("mount_copyup", "tmpfs on %s%s (flags 0x%lx, data \"%s\")", root, dest, flags, data);
  /* The descriptor still names the covered directory; a fresh resolution gives the tmpfs. */
  close(at);
  at = resolve_in_root("mount_copyup", root, dest, "none");
  snprintf(where, sizeof where, "/proc/self/fd/%d", at);
  int fresh = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fresh < 0) fail_errno("mount_copyup", "open the new tmpfs on %s", dest);
  copy_tree(old, fresh, 0);
  close(old);
  close(fresh);
  if ((flags & MS_RDONLY) && mount(NULL, where, NULL, MS_REMOUNT | flags, data[0] ? data : NULL) < 0)
    fail_errno("mount_copyup", "remount %s%s read-only", root, dest);
  close(at);
}

/* mount_setattr ROOT DEST SET CLEAR: runc's recursive options (rro, rnosuid, …) on the mount at DEST
 * and every mount beneath it, with mount_setattr(AT_RECURSIVE). */
void op_mount_setattr(int argc, char **argv) {
  (void)argc;
  struct {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
  } attr = {parse_u64("mount_setattr", argv[3]), parse_u64("mount_setattr", argv[4]), 0, 0};
  int fd = resolve_in_root("mount_setattr", argv[1], argv[2], "none");
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    fail_errno("mount_setattr", "%s%s (set 0x%llx, clear 0x%llx)", argv[1], argv[2], (unsigned long long)attr.attr_set,
               (unsigned long long)attr.attr_clr);
  close(fd);
}
