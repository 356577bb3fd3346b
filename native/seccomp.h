/* seccomp.h — the `seccomp` plan operation of hako-init (see seccomp.c for the PROFILE format). */
#ifndef HAKO_SECCOMP_H
#define HAKO_SECCOMP_H

#include <stddef.h>

/* Builds the filter described by PROFILE (or loads the compiled blob from hako_seccomp_export) (the text compiled by src/runtime/seccomp/compile.ts) with
 * libseccomp and loads it into the calling thread. Returns 0, or -1 with a one-line message in err
 * naming the line, syscall, argument or action at fault. *listener_fd receives the notify listener
 * (close-on-exec) when a rule uses `notify`, else -1. Does not set no_new_privs: the plan does that
 * with its own `no_new_privs` operation (without it, loading needs CAP_SYS_ADMIN). */
int hako_seccomp_load(const char *profile, size_t len, int *listener_fd, char *err, size_t errlen);

/* Compiles PROFILE and writes a compiled-filter blob (header, PROFILE, BPF program) to OUT_FD, for
 * hako's filter cache. Passing the blob to hako_seccomp_load instead of the text loads the same filter
 * without recompiling it (it falls back to the embedded text on another libseccomp or kernel). */
int hako_seccomp_export(const char *profile, size_t len, int out_fd, char *err, size_t errlen);

/* OCI seccomp notify hand-over: connects to the Unix socket at PATH and sends STATE_JSON (the
 * container state with "fds":["seccompFd"]) with FD attached as SCM_RIGHTS. Must run in a process
 * that can reach PATH and is not itself under the filter (or whose filter allows socket, connect and
 * sendmsg), e.g. the parent after the child passed the fd up with hako_seccomp_send_fd. */
int hako_seccomp_send_listener(int fd, const char *path, const char *state_json, char *err, size_t errlen);

/* Sends FD over the connected Unix socket SOCK as SCM_RIGHTS with the bytes MSG (non-empty). */
int hako_seccomp_send_fd(int sock, int fd, const char *msg, char *err, size_t errlen);

#endif
