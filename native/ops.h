/* Generated from src/native/ops.ts by scripts/build.mjs: edit those tables, not this file.
 * HAKO_PLAN_OPS: X(NAME, MIN_ARGS) per plan operation; hako-init.c defines X to make its dispatch
 * table, which calls op_NAME(argc, argv). HAKO_UNPACK_RECORDS: X(NAME, ARGS) per layer worker
 * record, exactly ARGS arguments; unpack.c calls up_NAME(rec). */
#ifndef HAKO_OPS_H
#define HAKO_OPS_H
#define HAKO_PLAN_OPS(X) \
  X(mkfifo, 3) \
  X(unshare, 1) \
  X(setns, 2) \
  X(sync, 1) \
  X(write, 2) \
  X(fork, 2) \
  X(mount, 7) \
  X(open_tree, 3) \
  X(mount_copyup, 4) \
  X(mount_setattr, 4) \
  X(mknod, 7) \
  X(symlink, 3) \
  X(pivot_root, 1) \
  X(mkdirs, 1) \
  X(chroot, 1) \
  X(mask, 1) \
  X(readonly, 2) \
  X(sethostname, 1) \
  X(lo_up, 0) \
  X(setdomainname, 1) \
  X(rlimit, 3) \
  X(console_socket, 1) \
  X(reopen_stdio, 0) \
  X(console, 2) \
  X(open_fifo, 1) \
  X(ready, 0) \
  X(wait_fifo, 0) \
  X(hook, 3) \
  X(chdir, 1) \
  X(umask, 1) \
  X(user, 3) \
  X(caps_bounding, 1) \
  X(caps, 4) \
  X(no_new_privs, 0) \
  X(seccomp, 1) \
  X(seccomp_listener, 1) \
  X(bpf_devices, 2) \
  X(preserve_fds, 2) \
  X(close_fds, 0) \
  X(resolve, 2) \
  X(home, 1) \
  X(exec, 1)
#define HAKO_UNPACK_RECORDS(X) \
  X(mkdir, 3) \
  X(file, 7) \
  X(copy, 7) \
  X(symlink, 6) \
  X(link, 2) \
  X(node, 9) \
  X(xattr, 3) \
  X(remove, 1) \
  X(empty, 1) \
  X(dirmeta, 4) \
  X(dirtime, 3) \
  X(list, 1) \
  X(xattrs, 1) \
  X(walk, 0) \
  X(read, 3) \
  X(indest, 1) \
  X(mountpoint, 2) \
  X(walkfrom, 1) \
  X(realpath, 4) \
  X(open, 1) \
  X(closefd, 1)
#endif
