/* hako-init: executes a plan compiled by TypeScript. See README.md for the plan format. */
#ifndef HAKO_INIT_H
#define HAKO_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "io.h" /* write_full, send_fd (io.c) */

/* Descriptors inherited from the runtime. */
#define PLAN_FD 3
#define SYNC_FD 4

/* Stops the helper: reports "error OP: TEXT" on the sync socket (or stderr once that is gone). */
__attribute__((noreturn, format(printf, 2, 3))) void fail(const char *op, const char *fmt, ...);
/* Like fail, with ": strerror(errno)" appended. */
__attribute__((noreturn, format(printf, 2, 3))) void fail_errno(const char *op, const char *fmt, ...);

/* Sync socket: one line out; a blocking wait for "ok [payload]". */
void sync_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sync_wait(const char *name);
void sync_close(void);

/* fork exit-synced: the child writes a byte here at `ready`, and then the parent exits. */
extern int ready_notify_fd;

/* The last state JSON TypeScript sent with an "ok"; hooks get it on stdin. */
extern char *hook_state;

/* Parsing helpers for numeric arguments: fail(op, ...) on malformed numbers. */
unsigned long long parse_u64(const char *op, const char *s);
long long parse_i64(const char *op, const char *s);

/* Operations, each taking the op's argument vector (argv[0] is the op name). */
typedef void (*op_fn)(int argc, char **argv);
void op_mount(int argc, char **argv);
void op_mknod(int argc, char **argv);
void op_symlink(int argc, char **argv);
void op_pivot_root(int argc, char **argv);
void op_chroot(int argc, char **argv);
void op_mkdirs(int argc, char **argv);
void op_mask(int argc, char **argv);
void op_readonly(int argc, char **argv);
void op_mount_copyup(int argc, char **argv);
void op_open_tree(int argc, char **argv);
void op_mount_setattr(int argc, char **argv);
/* copyup.c: copies directory FROM's entries into TO, never following a symlink. */
void copy_tree(int from, int to, int depth);
void op_fork(int argc, char **argv);
void op_console_socket(int argc, char **argv);
void op_console(int argc, char **argv);
void op_reopen_stdio(int argc, char **argv);
void op_user(int argc, char **argv);
void op_caps_bounding(int argc, char **argv);
void op_caps(int argc, char **argv);
void op_rlimit(int argc, char **argv);
void op_hook(int argc, char **argv);
void op_resolve(int argc, char **argv);
void op_home(int argc, char **argv);
void op_exec(int argc, char **argv);

/* Re-executes hako-init from a sealed memfd copy unless it already runs from one (CVE-2019-5736). */
void ensure_cloned_binary(char **argv);

/* Standalone modes (netns.c): pinned network namespaces; exit status 0/1, errors on stderr. */
int netns_create_main(const char *path);
int loopback_up(void);
int netns_delete_main(const char *path);
/* netlink.c: netlink messages built by TypeScript, sent on NETLINK_ROUTE sockets; answers on stdout. */
int netlink_main(int argc, char **argv);
/* attach.c: relays conmon's SOCK_SEQPACKET attach socket in DIR to stdin/stdout. */
int attach_relay_main(const char *dir);

/* userns.c: the rootless engine's user namespace, held for tool modes run with --userns=PATH. */
#define USERNS_ARG "--userns="
#define NETNS_ARG "--netns="
#define MNTNS_ARG "--mntns="
void join_netns(const char *path);
void join_mntns(const char *path);
int userns_hold_main(void);
int userns_pause_main(void);
int userns_exec_main(char **argv);
void join_userns(const char *path);
#define OPEN_FIRST_ARG "--open-first="
#define OPEN_FIRST_FD 7
void open_first(const char *path);

/* criu.c: carries CRIU's RPC messages between `criu swrk` (a SOCK_SEQPACKET socketpair) and fd 3. */
int criu_swrk_main(int argc, char **argv);

/* Standalone modes for the engine's overlay root filesystems (mountmode.c). */
int mount_main(int argc, char **argv);
int umount_main(const char *target);
#define PRIVATE_MOUNT_ARG "--private-mount"
void private_mount(char **words);

/* The plan encoding (README.md): operations as argument vectors; lens[i][k] is the byte length of
 * argv[i][k] (strings may hold NULs). read_all reads fd to end of file. */
struct plan {
  int count;
  int *argc;
  char ***argv;
  size_t **lens;
};
void read_all(int fd, char **out, size_t *out_len);
/* Stores v as the encoding's u32le at p (4 bytes). */
void write_u32(char *p, uint32_t v);
struct plan parse_plan(const char *buf, size_t len);

/* Standalone modes for image layers and untrusted trees (unpack.c): the fd-relative worker and
 * removal that never follows a symlink. */
int unpack_main(int argc, char **argv);
int rmtree_main(const char *path);

/* Set by "fork" with TTY "relay": the child's end of the channel the pty master travels on. */
extern int relay_fd;


#endif
