/* seccomp.c — builds and loads a seccomp filter from the compact PROFILE text of the `seccomp` plan op.
 *
 * All policy (OCI JSON, validation, runc's rule splitting, the default profile) lives in TypeScript
 * (src/runtime/seccomp/compile.ts); this file only translates an already-valid text into libseccomp
 * calls, so it stays small and has nothing to decide.
 *
 * PROFILE format: one directive per line, fields separated by single spaces, empty lines and lines
 * starting with '#' ignored.
 *
 *   default ACTION ERRNO                      exactly once, before any rule
 *   arch NAME                                 extra architecture, libseccomp name (x86, x32, aarch64, ...);
 *                                             the native one is always included
 *   flag NAME                                 tsync | spec_allow | log | wait_killable_recv
 *   rule ACTION ERRNO SYSCALL [ARG OP VALUE VALUE2]...
 *   enosys_stub                               runc's stub: on each architecture of the filter, a syscall
 *                                             numbered above every syscall the rules name gets ENOSYS
 *                                             (libc then falls back, e.g. from clone3 or fchmodat2)
 *                                             instead of the default action
 *
 *   ACTION  allow | kill_thread | kill_process | trap | errno | trace | log | notify
 *   ERRNO   0..65535: the errno returned by `errno`, the ptrace message of `trace`, ignored otherwise
 *   ARG     argument index 0..5; several conditions on one rule must all match (AND)
 *   OP      ne | lt | le | eq | ge | gt | masked_eq   (masked_eq: (arg & VALUE) == VALUE2)
 *   VALUE   unsigned 64-bit, decimal or 0x hex
 *
 * Like runc: a SYSCALL that libseccomp does not know is skipped without error (the profile may name
 * syscalls newer than this libseccomp), and a rule whose action equals the default action is skipped
 * (libseccomp refuses such rules). `wait_killable_recv` needs libseccomp >= 2.6 and is ignored when built
 * against an older one (it only changes how a notified syscall reacts to signals). no_new_privs is
 * left to the plan's own `no_new_privs` op (SCMP_FLTATR_CTL_NNP is switched off here).
 *
 * Compiled-filter cache: libseccomp needs ~9 ms to turn Docker's default profile (3 architectures) into
 * BPF, the kernel ~0.1 ms to load the result. hako_seccomp_export writes a blob (header, the PROFILE
 * text, the BPF program); given such a blob instead of text, hako_seccomp_load hands the program to
 * seccomp(2) directly with the flags libseccomp would have used. A blob is only trusted as far as its
 * writer: it must come from hako's own root-owned cache. One made by another libseccomp version or on
 * another kernel release is not reused: its embedded text is compiled instead.
 */
#include "io.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_FIELDS (4 + 6 * 4)

static void fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* libseccomp returns -errno; some errors deserve a hint about their usual cause. */
static const char *lib_error(int rc) {
  return strerror(rc < 0 ? -rc : rc);
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!*s || *s == '-' || *s == '+') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static int parse_action(const char *name, const char *errno_text, uint32_t *out) {
  uint64_t data;
  if (parse_u64(errno_text, &data) || data > 0xffff) return -1;
  if (!strcmp(name, "allow")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(name, "kill_thread")) *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(name, "kill_process")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(name, "trap")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(name, "errno")) *out = SCMP_ACT_ERRNO((uint32_t)data);
  else if (!strcmp(name, "trace")) *out = SCMP_ACT_TRACE((uint32_t)data);
  else if (!strcmp(name, "log")) *out = SCMP_ACT_LOG;
  else if (!strcmp(name, "notify")) *out = SCMP_ACT_NOTIFY;
  else return -1;
  return 0;
}

static int parse_op(const char *name, enum scmp_compare *out) {
  static const struct { const char *name; enum scmp_compare op; } ops[] = {
    {"ne", SCMP_CMP_NE}, {"lt", SCMP_CMP_LT}, {"le", SCMP_CMP_LE}, {"eq", SCMP_CMP_EQ},
    {"ge", SCMP_CMP_GE}, {"gt", SCMP_CMP_GT}, {"masked_eq", SCMP_CMP_MASKED_EQ},
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (!strcmp(name, ops[i].name)) { *out = ops[i].op; return 0; }
  }
  return -1;
}

static int set_flag(scmp_filter_ctx ctx, const char *name, unsigned *kflags, char *err, size_t errlen) {
  enum scmp_filter_attr attr;
  unsigned kflag;
  if (!strcmp(name, "tsync")) attr = SCMP_FLTATR_CTL_TSYNC, kflag = SECCOMP_FILTER_FLAG_TSYNC;
  else if (!strcmp(name, "spec_allow")) attr = SCMP_FLTATR_CTL_SSB, kflag = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  else if (!strcmp(name, "log")) attr = SCMP_FLTATR_CTL_LOG, kflag = SECCOMP_FILTER_FLAG_LOG;
  else if (!strcmp(name, "wait_killable_recv")) {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    attr = SCMP_FLTATR_CTL_WAITKILL, kflag = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#else
    return 0; /* documented above: unsupported by this libseccomp, ignored */
#endif
  } else {
    fail(err, errlen, "seccomp: unknown flag \"%s\"", name);
    return -1;
  }
  int rc = seccomp_attr_set(ctx, attr, 1);
  if (rc < 0) {
    fail(err, errlen, "seccomp: flag %s: %s (not supported by this kernel or libseccomp?)", name, lib_error(rc));
    return -1;
  }
  *kflags |= kflag;
  return 0;
}

/* Splits LINE in place at single spaces. Returns the number of fields or -1 if there are too many. */
static int split(char *line, char **fields) {
  int n = 0;
  char *save = NULL;
  for (char *f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
    if (n == MAX_FIELDS) return -1;
    fields[n++] = f;
  }
  return n;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t def_action, char **f, int n, bool *notify, int lineno,
                    char *err, size_t errlen) {
  uint32_t action;
  struct scmp_arg_cmp args[6];
  unsigned argc = 0;
  if (n < 4 || (n - 4) % 4 != 0) {
    fail(err, errlen, "seccomp: line %d: rule needs ACTION ERRNO SYSCALL and groups of ARG OP VALUE VALUE2", lineno);
    return -1;
  }
  const char *name = f[3];
  if (parse_action(f[1], f[2], &action)) {
    fail(err, errlen, "seccomp: line %d: syscall %s: bad action \"%s %s\"", lineno, name, f[1], f[2]);
    return -1;
  }
  for (int i = 4; i < n; i += 4) {
    uint64_t index, a, b;
    enum scmp_compare op;
    if (argc == 6 || parse_u64(f[i], &index) || index > 5 || parse_op(f[i + 1], &op) || parse_u64(f[i + 2], &a) ||
        parse_u64(f[i + 3], &b)) {
      fail(err, errlen, "seccomp: line %d: syscall %s: bad argument condition \"%s %s %s %s\"", lineno, name, f[i],
           f[i + 1], f[i + 2], f[i + 3]);
      return -1;
    }
    args[argc++] = (struct scmp_arg_cmp){.arg = (unsigned)index, .op = op, .datum_a = a, .datum_b = b};
  }
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return 0; /* unknown to libseccomp: skipped, like runc */
  if (action == def_action) return 0;  /* redundant, and libseccomp would refuse it */
  int rc = seccomp_rule_add_array(ctx, action, nr, argc, args);
  if (rc < 0) {
    fail(err, errlen, "seccomp: line %d: syscall %s: action %s: adding the rule failed: %s", lineno, name, f[1],
         lib_error(rc));
    return -1;
  }
  if (action == SCMP_ACT_NOTIFY) *notify = true;
  return 0;
}

/* A filter built from PROFILE text, with what seccomp(2) needs besides the program: the flags that
 * libseccomp's seccomp_load would pass, so that a cached program loads exactly the same way. */
#define MAX_ARCHES 8
struct built {
  scmp_filter_ctx ctx;
  unsigned kflags;
  bool notify;
  bool enosys_stub;
  int narches;
  uint32_t arches[MAX_ARCHES]; /* SCMP_ARCH_* (= AUDIT_ARCH_*), the native one first */
  int max_nr[MAX_ARCHES];      /* the highest syscall number a rule names, per arch; -1: none */
  int nnames;
  char **names;                /* every syscall name of a rule (for max_nr, computed at the end) */
};

static void release(struct built *b) {
  if (b->ctx) seccomp_release(b->ctx);
  for (int i = 0; i < b->nnames; i++) free(b->names[i]);
  free(b->names);
  *b = (struct built){0};
}

/* runc's ENOSYS stub (libcontainer/seccomp/patchbpf), prepended to libseccomp's program: per
 * architecture, "if arch matches and the number is above every number the rules name (and not an
 * x32 one), return ENOSYS". libseccomp's program starts by loading the arch itself. */
static struct sock_filter *patch_enosys(const struct built *b, const struct sock_filter *prog, size_t count, size_t *out_count) {
  enum { BLOCK = 6 };
  size_t n = (size_t)b->narches * BLOCK + count;
  if (n > BPF_MAXINSNS) return NULL;
  struct sock_filter *out = malloc(n * sizeof *out), *p = out;
  if (!out) return NULL;
  for (int i = 0; i < b->narches; i++) {
    if (b->max_nr[i] < 0) { /* no rule names a syscall on this arch: nothing to compare with */
      for (int k = 0; k < BLOCK; k++) *p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
      continue;
    }
    *p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4);                   /* seccomp_data.arch */
    *p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b->arches[i], 0, 4);
    *p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);                   /* seccomp_data.nr */
    *p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)b->max_nr[i], 0, 2);
    *p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 1, 0); /* x32: leave to libseccomp */
    *p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  }
  memcpy(p, prog, count * sizeof *prog);
  *out_count = n;
  return out;
}

/* libseccomp's program for B (with the ENOSYS stub if asked), malloc'ed; NULL and ERR on failure. */
static struct sock_filter *program(const struct built *b, size_t *count, char *err, size_t errlen) {
  int mem = memfd_create("hako-seccomp-bpf", MFD_CLOEXEC);
  struct sock_filter *bpf = NULL, *patched = NULL;
  if (mem < 0) { fail(err, errlen, "seccomp: export: memfd_create: %s", strerror(errno)); return NULL; }
  int rc = seccomp_export_bpf(b->ctx, mem);
  off_t size = rc < 0 ? 0 : lseek(mem, 0, SEEK_END);
  if (rc < 0) { fail(err, errlen, "seccomp: export: %s", lib_error(rc)); goto out; }
  if (size <= 0 || size % sizeof(struct sock_filter) || size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter))) {
    fail(err, errlen, "seccomp: export: unexpected program size %lld", (long long)size);
    goto out;
  }
  bpf = malloc((size_t)size);
  if (!bpf || pread(mem, bpf, (size_t)size, 0) != size) { fail(err, errlen, "seccomp: export: reading the program failed"); goto out; }
  *count = (size_t)size / sizeof(struct sock_filter);
  if (!b->enosys_stub) { patched = bpf; bpf = NULL; goto out; }
  patched = patch_enosys(b, bpf, *count, count);
  if (!patched) fail(err, errlen, "seccomp: the program with the ENOSYS stub is too long");
out:
  free(bpf);
  close(mem);
  return patched;
}

/* seccomp(2) with PROG and KFLAGS; the listener fd or 0 in *listener_fd when NEW_LISTENER. */
static int load_program(const struct sock_filter *prog, size_t count, unsigned kflags, int *listener_fd, char *err, size_t errlen) {
  struct sock_fprog fprog = {.len = (unsigned short)count, .filter = (struct sock_filter *)prog};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kflags, &fprog);
  if (rc < 0) {
    fail(err, errlen, "seccomp: loading the filter failed: %s%s", strerror(errno),
         errno == EACCES ? " (needs no_new_privs or CAP_SYS_ADMIN)" : "");
    return -1;
  }
  if (kflags & SECCOMP_FILTER_FLAG_NEW_LISTENER) *listener_fd = (int)rc;
  else if (rc > 0) { /* TSYNC without a listener returns the id of a thread it could not synchronize */
    fail(err, errlen, "seccomp: thread %ld could not be synchronized to the filter", rc);
    return -1;
  }
  return 0;
}

static int build(const char *profile, size_t len, struct built *b, char *err, size_t errlen) {
  uint32_t def_action = 0;
  int ret = -1, lineno = 0;
  char *fields[MAX_FIELDS];
  *b = (struct built){0};

  char *text = malloc(len + 1);
  if (!text) { fail(err, errlen, "seccomp: out of memory"); return -1; }
  memcpy(text, profile, len);
  text[len] = '\0';
  if (strlen(text) != len) { fail(err, errlen, "seccomp: profile contains a NUL byte"); goto out; }

  for (char *line = text, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    lineno++;
    if (line[0] == '#') continue;
    int n = split(line, fields);
    if (n == 0) continue;
    if (n < 0) { fail(err, errlen, "seccomp: line %d: too many fields", lineno); goto out; }
    if (!strcmp(fields[0], "default")) {
      if (b->ctx) { fail(err, errlen, "seccomp: line %d: second default", lineno); goto out; }
      if (n != 3 || parse_action(fields[1], fields[2], &def_action) || def_action == SCMP_ACT_NOTIFY) {
        fail(err, errlen, "seccomp: line %d: bad default action \"%s\"", lineno, n > 1 ? fields[1] : "");
        goto out;
      }
      b->ctx = seccomp_init(def_action);
      if (!b->ctx) { fail(err, errlen, "seccomp: seccomp_init(%s) failed", fields[1]); goto out; }
      b->arches[b->narches++] = seccomp_arch_native();
      /* no_new_privs is a separate plan op; libseccomp must not set it behind the plan's back */
      if (seccomp_attr_set(b->ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) {
        fail(err, errlen, "seccomp: cannot clear SCMP_FLTATR_CTL_NNP");
        goto out;
      }
      continue;
    }
    if (!b->ctx) { fail(err, errlen, "seccomp: line %d: \"%s\" before \"default\"", lineno, fields[0]); goto out; }
    if (!strcmp(fields[0], "arch") && n == 2) {
      uint32_t arch = seccomp_arch_resolve_name(fields[1]);
      if (!arch) { fail(err, errlen, "seccomp: arch %s: not supported by this libseccomp", fields[1]); goto out; }
      int rc = seccomp_arch_add(b->ctx, arch);
      if (rc < 0 && rc != -EEXIST) {
        fail(err, errlen, "seccomp: arch %s: %s", fields[1], lib_error(rc));
        goto out;
      }
      bool known = false;
      for (int i = 0; i < b->narches; i++) known |= b->arches[i] == arch;
      if (!known && b->narches < MAX_ARCHES) b->arches[b->narches++] = arch;
    } else if (!strcmp(fields[0], "flag") && n == 2) {
      if (set_flag(b->ctx, fields[1], &b->kflags, err, errlen)) goto out;
    } else if (!strcmp(fields[0], "rule")) {
      if (add_rule(b->ctx, def_action, fields, n, &b->notify, lineno, err, errlen)) goto out;
      if (n > 3) {
        char **grown = realloc(b->names, (size_t)(b->nnames + 1) * sizeof *grown);
        if (!grown) { fail(err, errlen, "seccomp: out of memory"); goto out; }
        b->names = grown;
        if (!(b->names[b->nnames] = strdup(fields[3]))) { fail(err, errlen, "seccomp: out of memory"); goto out; }
        b->nnames++;
      }
    } else if (!strcmp(fields[0], "enosys_stub") && n == 1) {
      b->enosys_stub = true;
    } else {
      fail(err, errlen, "seccomp: line %d: unknown directive \"%s\"", lineno, fields[0]);
      goto out;
    }
  }
  if (!b->ctx) { fail(err, errlen, "seccomp: profile has no \"default\" line"); goto out; }
  for (int i = 0; i < b->narches; i++) {
    b->max_nr[i] = -1;
    for (int k = 0; k < b->nnames; k++) {
      int nr = seccomp_syscall_resolve_name_arch(b->arches[i], b->names[k]);
      if (nr > b->max_nr[i]) b->max_nr[i] = nr;
    }
  }
  if (b->notify) {
    b->kflags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (b->kflags & SECCOMP_FILTER_FLAG_TSYNC) b->kflags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }
  ret = 0;
out:
  if (ret) release(b);
  free(text);
  return ret;
}

static int load_text(const char *profile, size_t len, int *listener_fd, char *err, size_t errlen) {
  struct built b;
  if (build(profile, len, &b, err, errlen)) return -1;
  if (b.enosys_stub) { /* libseccomp cannot load a patched program: seccomp(2) directly */
    size_t count;
    struct sock_filter *prog = program(&b, &count, err, errlen);
    int r = prog ? load_program(prog, count, b.kflags, listener_fd, err, errlen) : -1;
    free(prog);
    release(&b);
    return r;
  }
  int ret = -1, rc = seccomp_load(b.ctx);
  if (rc < 0) {
    fail(err, errlen, "seccomp: loading the filter failed: %s%s", lib_error(rc),
         rc == -EACCES ? " (needs no_new_privs or CAP_SYS_ADMIN)" : "");
    goto out;
  }
  if (b.notify) {
    *listener_fd = seccomp_notify_fd(b.ctx);
    if (*listener_fd < 0) {
      fail(err, errlen, "seccomp: filter loaded but no notify listener: %s", lib_error(*listener_fd));
      *listener_fd = -1;
      goto out;
    }
  }
  ret = 0;
out:
  release(&b);
  return ret;
}

/* Compiled-filter cache blob (see hako_seccomp_export): this header, the PROFILE text it was built
 * from, then the BPF program. The NUL in the magic keeps it apart from PROFILE text, which has none. */
#define BLOB_MAGIC "\0HKBPF1\n"
struct blob_header {
  char magic[8];
  uint32_t kflags;     /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  uint32_t text_len;
  uint32_t insn_count;
  uint32_t reserved;
  char libseccomp[16]; /* "2.5.4": the program is only reused by the same libseccomp... */
  char kernel[72];     /* ...on the same kernel release (libseccomp adapts the program to the kernel) */
};
/* src/runtime/seccomp/cache.ts reads this layout: magic, text_len at offset 12, text at 112 */
_Static_assert(sizeof(struct blob_header) == 112, "blob header layout is shared with cache.ts");

static void blob_identity(char *lib, size_t liblen, char *kernel, size_t kernlen) {
  const struct scmp_version *v = seccomp_version();
  struct utsname u;
  memset(lib, 0, liblen);
  memset(kernel, 0, kernlen);
  snprintf(lib, liblen, "%u.%u.%u", v->major, v->minor, v->micro);
  if (uname(&u) == 0) snprintf(kernel, kernlen, "%s", u.release);
}

int hako_seccomp_export(const char *profile, size_t len, int out_fd, char *err, size_t errlen) {
  struct built b;
  if (build(profile, len, &b, err, errlen)) return -1;
  int ret = -1;
  size_t count;
  struct sock_filter *bpf = program(&b, &count, err, errlen);
  if (!bpf) goto out;
  struct blob_header h = {.kflags = b.kflags, .text_len = (uint32_t)len, .insn_count = (uint32_t)count};
  memcpy(h.magic, BLOB_MAGIC, sizeof h.magic);
  blob_identity(h.libseccomp, sizeof h.libseccomp, h.kernel, sizeof h.kernel);
  if (write_full(out_fd, &h, sizeof h) || write_full(out_fd, profile, len) || write_full(out_fd, bpf, count * sizeof *bpf)) {
    fail(err, errlen, "seccomp: export: write: %s", strerror(errno));
    goto out;
  }
  ret = 0;
out:
  free(bpf);
  release(&b);
  return ret;
}

/* Loads a blob from hako_seccomp_export with seccomp(2) directly, skipping libseccomp's compile;
 * a blob made by another libseccomp or kernel falls back to compiling its embedded text. */
static int load_blob(const char *blob, size_t len, int *listener_fd, char *err, size_t errlen) {
  struct blob_header h;
  if (len < sizeof h) { fail(err, errlen, "seccomp: truncated compiled filter"); return -1; }
  memcpy(&h, blob, sizeof h);
  const char *text = blob + sizeof h;
  size_t insn_bytes = (size_t)h.insn_count * sizeof(struct sock_filter);
  if (h.insn_count == 0 || h.insn_count > BPF_MAXINSNS || len != sizeof h + h.text_len + insn_bytes) {
    fail(err, errlen, "seccomp: corrupt compiled filter (sizes do not add up)");
    return -1;
  }
  char lib[sizeof h.libseccomp], kernel[sizeof h.kernel];
  blob_identity(lib, sizeof lib, kernel, sizeof kernel);
  if (memcmp(lib, h.libseccomp, sizeof lib) || memcmp(kernel, h.kernel, sizeof kernel)) {
    return load_text(text, h.text_len, listener_fd, err, errlen);
  }
  struct sock_filter *insns = malloc(insn_bytes);
  if (!insns) { fail(err, errlen, "seccomp: out of memory"); return -1; }
  memcpy(insns, text + h.text_len, insn_bytes); /* aligned copy */
  struct sock_fprog prog = {.len = (unsigned short)h.insn_count, .filter = insns};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, h.kflags, &prog);
  int saved = errno;
  free(insns);
  if (rc < 0) {
    fail(err, errlen, "seccomp: loading the compiled filter failed: %s%s", strerror(saved),
         saved == EACCES ? " (needs no_new_privs or CAP_SYS_ADMIN)" : "");
    return -1;
  }
  if (h.kflags & SECCOMP_FILTER_FLAG_NEW_LISTENER) *listener_fd = (int)rc;
  else if (rc > 0) { /* TSYNC without a listener returns the id of a thread it could not synchronize */
    fail(err, errlen, "seccomp: thread %ld could not be synchronized to the filter", rc);
    return -1;
  }
  return 0;
}

int hako_seccomp_load(const char *profile, size_t len, int *listener_fd, char *err, size_t errlen) {
  *listener_fd = -1;
  if (len >= 8 && !memcmp(profile, BLOB_MAGIC, 8)) return load_blob(profile, len, listener_fd, err, errlen);
  return load_text(profile, len, listener_fd, err, errlen);
}

int hako_seccomp_send_fd(int sock, int fd, const char *msg, char *err, size_t errlen) {
  size_t len = strlen(msg);
  struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
  memset(&control, 0, sizeof control);
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  if (len == 0) { fail(err, errlen, "seccomp: send_fd: empty message"); return -1; }
  ssize_t n;
  do n = sendmsg(sock, &mh, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n < 0) { fail(err, errlen, "seccomp: sending the listener fd: %s", strerror(errno)); return -1; }
  if ((size_t)n != len) { fail(err, errlen, "seccomp: sending the listener fd: short write"); return -1; }
  return 0;
}

int hako_seccomp_send_listener(int fd, const char *path, const char *state_json, char *err, size_t errlen) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fail(err, errlen, "seccomp: listenerPath %s: path too long for a Unix socket", path);
    return -1;
  }
  strcpy(addr.sun_path, path);
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) { fail(err, errlen, "seccomp: listenerPath %s: socket: %s", path, strerror(errno)); return -1; }
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fail(err, errlen, "seccomp: listenerPath %s: connect: %s", path, strerror(errno));
    close(sock);
    return -1;
  }
  int rc = hako_seccomp_send_fd(sock, fd, state_json, err, errlen);
  close(sock);
  return rc;
}
