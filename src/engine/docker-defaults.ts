// Docker's defaults for a container the engine makes: its capability set, and its seccomp profile,
// the same policy as Docker's (moby profiles/seccomp/default.json,
// Apache-2.0): everything not listed fails with EPERM; the capability-, architecture- and
// kernel-conditional groups are resolved here for the capabilities the container gets, the host's
// architecture and the running kernel, the way moby's setupSeccomp does.
import os from 'node:os';
import type { Seccomp, SeccompArg } from '../oci/types.js';

/** Docker's default capability set (the one `docker run` gives without --cap-add/--cap-drop). */
export const DOCKER_DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

interface Filter {
  caps?: string[];
  /** libseccomp-golang architecture names of the native architecture (amd64, arm64, x86, ...) */
  arches?: string[];
  minKernel?: string;
}

interface Group {
  names: string[];
  action?: 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: Filter;
  excludes?: Filter;
}

/** Native architecture -> the architectures the filter covers (moby's archMap). */
const ARCH_MAP: Record<string, string[]> = {
  SCMP_ARCH_X86_64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  SCMP_ARCH_AARCH64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  SCMP_ARCH_MIPS64: ['SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'],
  SCMP_ARCH_MIPS64N32: ['SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'],
  SCMP_ARCH_MIPSEL64: ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'],
  SCMP_ARCH_MIPSEL64N32: ['SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'],
  SCMP_ARCH_S390X: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  SCMP_ARCH_RISCV64: ['SCMP_ARCH_RISCV64'],
};

/** Node's process.arch -> [libseccomp-golang name used by the profile's arch filters, OCI arch]. */
const NODE_ARCH: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  ia32: ['x86', 'SCMP_ARCH_X86'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
  mips64el: ['mipsel64', 'SCMP_ARCH_MIPSEL64'],
  loong64: ['loong64', 'SCMP_ARCH_LOONGARCH64'],
};

const ALLOWED = `accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown
fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd
getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer
getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32
getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid
getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter
io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64
madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2
mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64
mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat
_newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect
poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64
pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg
remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending
rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send
sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups
setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr
shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair
splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64
ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid
write writev`;

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);
const eq = (index: number, value: number): SeccompArg[] => [{ index, value, op: 'SCMP_CMP_EQ' }];
const caps = (...c: string[]): Filter => ({ caps: c });
// clone flags that create namespaces: CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP
const CLONE_NS_FLAGS = 0x7e020000;

/** In moby's order. Groups without `action` allow. */
const GROUPS: Group[] = [
  { names: words(ALLOWED) },
  { names: ['process_vm_readv', 'process_vm_writev', 'ptrace'], includes: { minKernel: '4.8' } },
  { names: ['socket'], args: [{ index: 0, value: 40 /* AF_VSOCK */, op: 'SCMP_CMP_NE' }] },
  // personality: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the query 0xffffffff
  ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v): Group => ({ names: ['personality'], args: eq(0, v) })),
  { names: ['sync_file_range2', 'swapcontext'], includes: { arches: ['ppc64le'] } },
  {
    names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
    includes: { arches: ['arm', 'arm64'] },
  },
  { names: ['arch_prctl'], includes: { arches: ['amd64', 'x32'] } },
  { names: ['modify_ldt'], includes: { arches: ['amd64', 'x32', 'x86'] } },
  { names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], includes: { arches: ['s390', 's390x'] } },
  { names: ['riscv_flush_icache'], includes: { arches: ['riscv64'] } },
  { names: ['open_by_handle_at'], includes: caps('CAP_DAC_READ_SEARCH') },
  {
    names: words(`bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr
      move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2
      unshare`),
    includes: caps('CAP_SYS_ADMIN'),
  },
  {
    names: ['clone'],
    args: [{ index: 0, value: CLONE_NS_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
  },
  {
    // s390 orders clone's parameters differently
    names: ['clone'],
    args: [{ index: 1, value: CLONE_NS_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
    includes: { arches: ['s390', 's390x'] },
    excludes: caps('CAP_SYS_ADMIN'),
  },
  // ENOSYS, so that libc falls back to clone (whose flags can be checked: clone3 passes them in memory)
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: caps('CAP_SYS_ADMIN') },
  { names: ['reboot'], includes: caps('CAP_SYS_BOOT') },
  { names: ['chroot'], includes: caps('CAP_SYS_CHROOT') },
  { names: ['delete_module', 'init_module', 'finit_module'], includes: caps('CAP_SYS_MODULE') },
  { names: ['acct'], includes: caps('CAP_SYS_PACCT') },
  {
    names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
    includes: caps('CAP_SYS_PTRACE'),
  },
  { names: ['iopl', 'ioperm'], includes: caps('CAP_SYS_RAWIO') },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], includes: caps('CAP_SYS_TIME') },
  { names: ['vhangup'], includes: caps('CAP_SYS_TTY_CONFIG') },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], includes: caps('CAP_SYS_NICE') },
  { names: ['syslog'], includes: caps('CAP_SYSLOG') },
  { names: ['bpf'], includes: caps('CAP_BPF') },
  { names: ['perf_event_open'], includes: caps('CAP_PERFMON') },
];

/** "6.18.0-1-amd64" -> [6, 18]; unparsable -> [0, 0]. */
function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function atLeast(release: string, min: string): boolean {
  const [a, b] = kernelVersion(release);
  const [x, y] = kernelVersion(min);
  return a > x || (a === x && b >= y);
}

export interface DefaultProfileOptions {
  /** Node-style architecture (process.arch); default: this host's. */
  arch?: string;
  /** Kernel release (os.release()); default: the running kernel's. */
  kernel?: string;
}

/** Docker's default profile for a container whose bounding set is `caps` (default: Docker's default
 *  capability set), resolved for the architecture and kernel in `opts` (default: this host). */
export function defaultSeccompProfile(caps: string[] = DOCKER_DEFAULT_CAPABILITIES, opts: DefaultProfileOptions = {}): Seccomp {
  const [archName, ociArch] = NODE_ARCH[opts.arch ?? process.arch] ?? [opts.arch ?? process.arch, undefined];
  const kernel = opts.kernel ?? os.release();
  const have = new Set(caps.map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`).toUpperCase()));

  const applies = (g: Group): boolean => {
    const inc = g.includes ?? {};
    const exc = g.excludes ?? {};
    if (inc.caps && !inc.caps.every((c) => have.has(c))) return false;
    if (inc.arches && !inc.arches.includes(archName)) return false;
    if (inc.minKernel && !atLeast(kernel, inc.minKernel)) return false;
    if (exc.caps?.some((c) => have.has(c))) return false;
    if (exc.arches?.includes(archName)) return false;
    if (exc.minKernel && atLeast(kernel, exc.minKernel)) return false;
    return true;
  };

  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    syscalls: GROUPS.filter(applies).map((g) => ({
      names: [...g.names],
      action: g.action ?? 'SCMP_ACT_ALLOW',
      ...(g.errnoRet !== undefined ? { errnoRet: g.errnoRet } : {}),
      ...(g.args ? { args: g.args.map((a) => ({ ...a })) } : {}),
    })),
  };
  if (ociArch) profile.architectures = [...(ARCH_MAP[ociArch] ?? [ociArch])];
  return profile;
}
