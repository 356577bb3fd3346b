/* cgroup v2 has no devices controller: device access is decided by BPF_PROG_TYPE_CGROUP_DEVICE
 * programs attached to the cgroup. This file is only the mechanism (load, attach, detach the old
 * ones); which devices are allowed was compiled into the instructions by src/cgroups/devices-bpf.ts.
 * Raw bpf(2) with <linux/bpf.h>: no libbpf needed for four commands. */
#include "bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_OLD_PROGS 64 /* the kernel's limit of programs per cgroup and attach type */

static int sys_bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

/* Loads the program; on failure loads it again with the verifier log and puts that into ERR. */
static int load(const void *insns, size_t len, char *err, size_t errlen) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)(len / sizeof(struct bpf_insn));
  /* Like runc: device programs call no GPL-only helper, so any license string is accepted. */
  attr.license = (uint64_t)(uintptr_t) "Apache";
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return fd;
  int saved = errno;
  static char log[16384];
  log[0] = 0;
  attr.log_level = 1;
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return fd; /* the second try worked: fine */
  /* The verifier's reason is at the end of its log. */
  size_t n = strlen(log);
  const char *tail = n > 1500 ? log + n - 1500 : log;
  snprintf(err, errlen, "BPF_PROG_LOAD (BPF_PROG_TYPE_CGROUP_DEVICE, %u instructions): %s%s%s", attr.insn_cnt,
           strerror(saved), n ? "; verifier: " : "", tail);
  errno = saved;
  return -1;
}

/* Ids of the device programs attached directly to the cgroup (not inherited ones). */
static int query(int cg, uint32_t *ids, uint32_t *count) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)cg;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = MAX_OLD_PROGS;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return -1;
  *count = attr.query.prog_cnt;
  return 0;
}

int hako_bpf_attach_devices(const char *cgroup_dir, const void *insns, size_t len, char *err, size_t errlen) {
  if (len == 0 || len % sizeof(struct bpf_insn) || len / sizeof(struct bpf_insn) > BPF_MAXINSNS) {
    snprintf(err, errlen, "program of %zu bytes is not 1..%d instructions of 8 bytes", len, BPF_MAXINSNS);
    errno = EINVAL;
    return -1;
  }
  /* Kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK; raise it for this process only. */
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &unlimited);

  int cg = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) {
    snprintf(err, errlen, "open %s: %s", cgroup_dir, strerror(errno));
    return -1;
  }
  uint32_t old[MAX_OLD_PROGS], nold = 0;
  if (query(cg, old, &nold) < 0) {
    snprintf(err, errlen, "BPF_PROG_QUERY (BPF_CGROUP_DEVICE) on %s: %s", cgroup_dir, strerror(errno));
    goto fail_cg;
  }
  int prog = load(insns, len, err, errlen);
  if (prog < 0) goto fail_cg;

  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cg;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI; /* several programs may stack; all must allow */
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
    snprintf(err, errlen, "BPF_PROG_ATTACH (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) to %s: %s", cgroup_dir, strerror(errno));
    close(prog);
    goto fail_cg;
  }
  close(prog); /* the attachment holds its own reference */

  /* The new filter is in place; now remove the ones it replaces. Until then both run, and a
   * device needs both to allow it: never a moment with no filter at all. */
  for (uint32_t i = 0; i < nold; i++) {
    memset(&attr, 0, sizeof attr);
    attr.prog_id = old[i];
    int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (fd < 0) {
      if (errno == ENOENT) continue; /* detached meanwhile */
      snprintf(err, errlen, "BPF_PROG_GET_FD_BY_ID %u (old device filter of %s): %s", old[i], cgroup_dir, strerror(errno));
      goto fail_cg;
    }
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cg;
    attr.attach_bpf_fd = (uint32_t)fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    int rc = sys_bpf(BPF_PROG_DETACH, &attr);
    int saved = errno;
    close(fd);
    if (rc < 0 && saved != ENOENT) {
      snprintf(err, errlen, "BPF_PROG_DETACH of old device filter %u from %s: %s", old[i], cgroup_dir, strerror(saved));
      errno = saved;
      goto fail_cg;
    }
  }
  close(cg);
  return 0;

fail_cg : {
  int saved = errno;
  close(cg);
  errno = saved;
  return -1;
}
}
