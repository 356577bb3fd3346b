/* io.c: small I/O helpers shared by hako-init's modes and the seccomp compiler (which does not
 * include hako-init.h). */
#ifndef HAKO_IO_H
#define HAKO_IO_H

#include <stddef.h>

/* Writes all `len` bytes (retrying short writes and EINTR); -1 with errno on failure. */
int write_full(int fd, const void *buf, size_t len);
/* The OCI console-socket protocol's message: SCM_RIGHTS with `fd`, whose data is `name`. */
int send_fd(int sock, int fd, const char *name);

#endif
