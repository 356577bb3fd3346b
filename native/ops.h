/* Generated from src/native/ops.ts by scripts/build.mjs: edit that table, not this file.
 * X(NAME, MIN_ARGS) per plan operation; hako-init.c defines X to make its dispatch table, which
 * calls op_NAME(argc, argv). */
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
#endif
