/* Standalone mode for image layers (src/storage/layers/sys.ts): the file system calls Node lacks.
 *   hako-init layer-ops    operations on stdin in the plan encoding, results on stdout
 * Operations (paths are absolute and were checked by TypeScript: inside the destination, no
 * symlink parents; a final symlink is never followed):
 *   node PATH KIND MODE MAJOR MINOR UID GID   mknod a char/block device or fifo (KIND char, block,
 *                                             fifo), then lchown (unless UID is -1) and chmod
 *                                             (after chown, which clears setuid bits)
 *   lsetxattr PATH NAME VALUE                 set one extended attribute (VALUE: any bytes)
 *   llistxattr PATH                           writes one record to stdout: "xattrs", then name,
 *                                             value pairs; a missing PATH or a file system
 *                                             without xattrs gives an empty record
 * All operation names are checked before the first runs; the first failure stops with one line on
 * stderr and exit status 127. */
#include "hako-init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static void layer_node(char **argv) {
  const char *path = argv[1], *kind = argv[2];
  mode_t type = strcmp(kind, "char") == 0 ? S_IFCHR : strcmp(kind, "block") == 0 ? S_IFBLK : strcmp(kind, "fifo") == 0 ? S_IFIFO : 0;
  if (!type) fail("node", "%s: unknown kind \"%s\"", path, kind);
  mode_t mode = (mode_t)parse_u64("node", argv[3]) & 07777;
  dev_t dev = makedev((unsigned)parse_u64("node", argv[4]), (unsigned)parse_u64("node", argv[5]));
  long long uid = parse_i64("node", argv[6]), gid = parse_i64("node", argv[7]);
  /* Made private (0600) and opened up only after chown: nobody else can use it in between. */
  if (mknod(path, type | 0600, type == S_IFIFO ? 0 : dev) < 0) fail_errno("node", "mknod %s", path);
  if (uid >= 0 && lchown(path, (uid_t)uid, (gid_t)gid) < 0) fail_errno("node", "chown %s", path);
  if (chmod(path, mode) < 0) fail_errno("node", "chmod %s", path);
}

static void layer_lsetxattr(char **argv, const size_t *lens) {
  if (lsetxattr(argv[1], argv[2], argv[3], lens[3], 0) < 0) fail_errno("lsetxattr", "%s %s", argv[1], argv[2]);
}

static void put_u32(uint32_t v) {
  char b[4];
  write_u32(b, v);
  fwrite(b, 1, 4, stdout);
}

static void put_bytes(const char *p, size_t n) {
  put_u32((uint32_t)n);
  fwrite(p, 1, n, stdout);
}

static int no_xattrs(int err) { return err == ENOENT || err == ENOTSUP || err == EOPNOTSUPP; }

static void layer_llistxattr(char **argv) {
  const char *path = argv[1];
  ssize_t size = llistxattr(path, NULL, 0);
  if (size < 0 && !no_xattrs(errno)) fail_errno("llistxattr", "%s", path);
  char *names = malloc(size > 0 ? (size_t)size : 1);
  /* The list may grow between the two calls: ERANGE means ask again. */
  while (size > 0 && (size = llistxattr(path, names, (size_t)size)) < 0 && errno == ERANGE) {
    size = llistxattr(path, NULL, 0);
    names = realloc(names, size > 0 ? (size_t)size : 1);
  }
  if (size < 0 && !no_xattrs(errno)) fail_errno("llistxattr", "%s", path);
  uint32_t count = 0;
  for (ssize_t i = 0; i < size; i += (ssize_t)strlen(names + i) + 1) count++;
  put_u32(1 + 2 * count);
  put_bytes("xattrs", 6);
  for (ssize_t i = 0; i < size; i += (ssize_t)strlen(names + i) + 1) {
    const char *name = names + i;
    ssize_t n = lgetxattr(path, name, NULL, 0);
    char *value = malloc(n > 0 ? (size_t)n : 1);
    if (n > 0) n = lgetxattr(path, name, value, (size_t)n);
    if (n < 0) fail_errno("llistxattr", "%s %s", path, name);
    put_bytes(name, strlen(name));
    put_bytes(value, (size_t)n);
    free(value);
  }
  free(names);
}

static const struct { const char *name; int args; } layer_ops[] = {{"node", 7}, {"lsetxattr", 3}, {"llistxattr", 1}};

int layer_ops_main(void) {
  char *buf;
  size_t len;
  read_all(0, &buf, &len);
  struct plan plan = parse_plan(buf, len);
  for (int i = 0; i < plan.count; i++) {
    size_t j = 0;
    while (j < sizeof layer_ops / sizeof layer_ops[0] && strcmp(plan.argv[i][0], layer_ops[j].name) != 0) j++;
    if (j == sizeof layer_ops / sizeof layer_ops[0]) fail("layer-ops", "unknown operation \"%s\"", plan.argv[i][0]);
    if (plan.argc[i] - 1 != layer_ops[j].args)
      fail("layer-ops", "%s needs %d arguments, got %d", plan.argv[i][0], layer_ops[j].args, plan.argc[i] - 1);
  }
  for (int i = 0; i < plan.count; i++) {
    char **argv = plan.argv[i];
    if (strcmp(argv[0], "node") == 0) layer_node(argv);
    else if (strcmp(argv[0], "lsetxattr") == 0) layer_lsetxattr(argv, plan.lens[i]);
    else layer_llistxattr(argv);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) fail_errno("layer-ops", "writing the results");
  return 0;
}
