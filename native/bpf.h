/* Device access control on cgroup v2: load a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it. */
#ifndef HAKO_BPF_H
#define HAKO_BPF_H

#include <stddef.h>

/* Loads INSNS (LEN bytes of struct bpf_insn, compiled by src/cgroups/devices-bpf.ts) and attaches it
 * to the cgroup2 directory CGROUP_DIR as BPF_CGROUP_DEVICE with BPF_F_ALLOW_MULTI, then detaches the
 * device programs that were attached to that directory before (so an update replaces the old
 * filter, and there is no moment without one). Returns 0, or -1 with a message in ERR. */
int hako_bpf_attach_devices(const char *cgroup_dir, const void *insns, size_t len, char *err, size_t errlen);

#endif
