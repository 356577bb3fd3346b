// The plan operations of native/hako-init, one table: each operation's name and its arguments, in
// order, with what it does. The single source of truth for both sides of the native boundary:
//  - TypeScript builds operations only through op() below, typed from this table (a wrong argument
//    count does not compile);
//  - native/ops.h, hako-init.c's dispatch table (name, minimum argument count), is generated from it
//    (`npm run build`, scripts/build.mjs), and test/unit/native/ops.test.ts fails when the checked-in
//    header or hako-init.c's table disagree with it.
// Adding an operation: a row here and its `op_NAME(int argc, char **argv)` in native/*.c. The layer
// worker's records (UNPACK_RECORDS below) are kept the same way, with `up_NAME` in native/unpack.c.
//
// Argument notation: `NAME` is required, `NAME?` optional (only at the end), `NAME...` any number
// of further arguments (the last), `NAME:bytes` may be raw bytes (a Buffer) rather than text. Every
// argument travels as bytes (native/README.md, "Wire format"); numbers are written in decimal unless
// the description says hex.

export const PLAN_OPS = {
  /** create the start barrier FIFO (mode 0622), owned by the container's root */
  mkfifo: ['PATH', 'UID', 'GID'],
  /** `unshare(2)` with `CLONE_NEW*` flags */
  unshare: ['FLAGS'],
  /** open PATH and `setns(2)` into it */
  setns: ['PATH', 'NSTYPE'],
  /** send `sync NAME`, wait for the answer */
  sync: ['NAME'],
  /** write DATA into an existing file (`/proc/self/timens_offsets`, sysctls, `oom_score_adj`) */
  write: ['PATH', 'DATA'],
  /** fork; the child starts a session of its own (`setsid`, as runc's does: the caller's terminal is
   *  never the container's controlling terminal, so no `TIOCSTI` into the user's shell) and runs the
   *  rest of the plan. TTY is `none` (no terminal), `relay` (a pty the monitor relays) or `socket` (a
   *  pty sent to the caller's console socket). With MODE `wait` and TTY `none`, each of fds 0-2 that
   *  is a tty is replaced in the child by a pipe (as a foreground `runc run` without a terminal:
   *  container root could otherwise `chown` the caller's terminal through `/proc/self/fd/N`); the
   *  monitor copies the caller's stdin into it (closing it at EOF) and its output to the caller's
   *  fds, drained once the child has exited. Pipes and files pass through as given. The parent
   *  reports `pid N`, then with MODE `exit` exits 0 (create: the container is re-parented to the
   *  caller's subreaper), with MODE `exit-synced` waits at `sync pidfile` before it releases the
   *  child and exits only once the child is `ready` (conmon reads the pid file and stops serving the
   *  console socket when its runtime exits; native/README.md, "the engine socket"), and with MODE
   *  `wait` stays (every signal blocked from before the fork, so none is lost, SIGCHLD least of all;
   *  the child unblocks them), forwards signals (those sent to it, and the kernel's: the terminal's Ctrl-C,
   *  Ctrl-\, Ctrl-Z and hangup reach its process group but no longer the container; `hako` ignores
   *  SIGINT and SIGQUIT rather than send a second copy; not SIGTTIN/SIGTTOU, which stop the monitor),
   *  relays the terminal if TTY is `relay` (the caller's terminal raw meanwhile but with its output
   *  processing kept, as runc's SetRaw leaves it, so the container's ONLCR-free "\n" shows as
   *  "\r\n"), and exits with the child's status (128+signal if killed) */
  fork: ['MODE', 'TTY'],
  /** `mount(2)`. `proc` and `sysfs` are refused on a DEST that is a symlink (runc, CVE-2019-19921).
   *  If ROOT is empty DEST is a plain path; otherwise DEST is resolved **inside** ROOT with
   *  `openat2(RESOLVE_IN_ROOT)`, so symlinks can never lead out of the rootfs, and the mount goes
   *  onto the resulting file descriptor. CREATE (`none`, `dir`, `file`) creates a missing DEST */
  mount: ['ROOT', 'SOURCE', 'DEST', 'FSTYPE', 'FLAGS', 'DATA', 'CREATE'],
  /** before a new user namespace is entered: a detached clone of the mount at PATH
   *  (`open_tree(OPEN_TREE_CLONE)`, with `AT_RECURSIVE` if REC is `1`), taken as the caller so a host
   *  path only the caller may search still works; a later `mount` with SOURCE `@tree:N` attaches it
   *  with `move_mount` */
  open_tree: ['N', 'PATH', 'REC'],
  /** runc's `tmpcopyup`: open DEST (resolved inside ROOT, created if missing), mount a tmpfs over it
   *  (writable), copy what the covered directory held into it through the descriptor opened before
   *  (`copyup.c`: owner, mode, times, xattrs; symlinks copied, never followed; devices as nodes),
   *  then remount read-only if FLAGS has `MS_RDONLY` */
  mount_copyup: ['ROOT', 'DEST', 'FLAGS', 'DATA'],
  /** runc's recursive options (`rro`, `rnosuid`, …): `mount_setattr(AT_RECURSIVE)` with
   *  `MOUNT_ATTR_*` masks on the mount at DEST (resolved inside ROOT) and all beneath it */
  mount_setattr: ['ROOT', 'DEST', 'SET', 'CLEAR'],
  /** create a device node inside ROOT */
  mknod: ['ROOT', 'PATH', 'MODE', 'MAJOR', 'MINOR', 'UID', 'GID'],
  /** create LINKPATH (inside ROOT) pointing to TARGET; an existing one is left alone */
  symlink: ['ROOT', 'TARGET', 'LINKPATH'],
  /** make ROOT the new `/` with `pivot_root(".", ".")` and detach the old root */
  pivot_root: ['ROOT'],
  /** create PATH and its missing parents (0755), after `pivot_root` so everything is the container's
   *  own: a missing cwd, as runc and crun create it; an existing non-directory is an error */
  mkdirs: ['PATH'],
  /** fallback where `pivot_root` is impossible (rootfs on ramfs): moves ROOT onto `/`, then chroots;
   *  with `in-place` (no mount namespace of the container's own: `/` is the host's) only chroots */
  chroot: ['ROOT', 'in-place?'],
  /** hide PATH: `/dev/null` over a file, an empty read-only tmpfs over a directory; missing is fine */
  mask: ['PATH'],
  /** make PATH read-only: with BIND `1` bind it onto itself first, with `0` remount the mount already
   *  there (the rootfs); locked flags are kept; missing is fine */
  readonly: ['PATH', 'BIND'],
  /** `sethostname(2)` */
  sethostname: ['NAME'],
  /** bring up `lo` in the network namespace just made (`SIOCSIFFLAGS` with `IFF_UP`), as runc's
   *  "loopback" network does for every new network namespace: 127.0.0.1 then works inside */
  lo_up: [],
  /** `setdomainname(2)` */
  setdomainname: ['NAME'],
  /** `setrlimit(2)`; `-1` is infinity */
  rlimit: ['RESOURCE', 'SOFT', 'HARD'],
  /** connect to the console socket: first thing, as the caller, before any namespace is entered (a
   *  console socket path); after `fork` for `@relay` (the foreground monitor's channel) */
  console_socket: ['SOCKET'],
  /** a stdio descriptor that is the character device MAJOR:MINOR but not the container's own PATH
   *  (the host's `/dev/null`: `</dev/null`, Node's `'ignore'`, conmon's stdin) is replaced by PATH
   *  opened in the container with the same access mode, as runc's `reOpenDevNull` does; run once `/`
   *  is the container's (after `pivot_root`, or joined for an exec) and before dropping root. PATH's
   *  last component is not followed, nor any magic link; what opens must be that device, and a
   *  missing one is an error rather than the host's node */
  reopen_stdio: ['PATH_MAJOR_MINOR...'],
  /** open a pty from the container's `/dev/ptmx`, send the master to the console socket (the OCI
   *  protocol: SCM_RIGHTS, the pty name as data), set the window size (ROWS COLS; 0 0 and relayed: the
   *  caller's, from fd 0, before the process can ask), clear ONLCR with `-onlcr` (a
   *  terminal the monitor relays, as runc's), make the slave the controlling terminal (of the fork's
   *  session) and stdio */
  console: ['ROWS', 'COLS', '-onlcr?'],
  /** open the start barrier FIFO `O_PATH`, first thing, while the helper can still reach the state
   *  directory */
  open_fifo: ['PATH'],
  /** send `ready` */
  ready: [],
  /** block until `hako runtime start` opens the FIFO */
  wait_fifo: [],
  /** run a hook in the current namespaces with the last state JSON on stdin */
  hook: ['TIMEOUT', 'PATH', 'N', 'ARGS_THEN_ENV...'],
  /** with `early` (before `user`, as runc) try to enter PATH while still root and remember whether
   *  that worked; without, enter PATH unless the early attempt did */
  chdir: ['PATH', 'early?'],
  /** `umask(2)` */
  umask: ['MODE'],
  /** hand stdio (the pty above all; not `/dev/null`) to UID as runc's fixStdioPermissions, then
   *  `setgroups` (GROUPS comma-separated, `-` to leave alone), `setresgid`, `setresuid`, keeping
   *  capabilities */
  user: ['UID', 'GID', 'GROUPS'],
  /** drop every capability not in MASK (64-bit hex) from the bounding set, while still privileged */
  caps_bounding: ['MASK'],
  /** 64-bit hex masks: `capset`, then raise the ambient ones */
  caps: ['EFFECTIVE', 'PERMITTED', 'INHERITABLE', 'AMBIENT'],
  /** `prctl(PR_SET_NO_NEW_PRIVS)` */
  no_new_privs: [],
  /** load a seccomp filter through libseccomp (format in `seccomp.c`); a notify filter's listener fd
   *  is sent to the `seccomp_listener` socket with the state from `sync seccomp` */
  seccomp: ['PROFILE:bytes'],
  /** connect to the seccomp notify supervisor at `listenerPath` (before `pivot_root`) */
  seccomp_listener: ['PATH'],
  /** cgroup v2 device rules: load PROGRAM (raw `struct bpf_insn` bytes from `src/cgroups/devices-
   *  bpf.ts`) as `BPF_PROG_TYPE_CGROUP_DEVICE`, attach it to CGROUPDIR (`BPF_CGROUP_DEVICE`,
   *  `BPF_F_ALLOW_MULTI`), then detach the device programs attached there before (`bpf.c`). The v2
   *  driver uses the same code as `hako-init bpf-devices CGROUPDIR < PROGRAM` during cgroup create,
   *  before any process joins */
  bpf_devices: ['CGROUPDIR', 'PROGRAM:bytes'],
  /** runc's `--preserve-fds`: the caller's fds arrive at FIRST..FIRST+N-1 (after the plan pipe and
   *  sync socket) and are `dup2`'d down to 3..3+N-1; the sync socket moves above them first. The
   *  plan's first operation, so nothing the helper opens later lands there */
  preserve_fds: ['FIRST', 'N'],
  /** FROM (default 3; 3+N after `preserve_fds`): mark every fd from FROM up close-on-exec (so nothing
   *  of the runtime leaks into the container): `close_range`, or where a seccomp profile loaded
   *  earlier refuses it (or the kernel lacks it) each fd in `/proc/self/fd`, as runc and crun do */
  close_fds: ['FROM?'],
  /** find the program like execvp would, before the start barrier, so "not found" is reported by
   *  create. Its failures, and `exec`'s, are worded as runc's (`exec: "x": executable file not found
   *  in $PATH`, `exec: "/x": stat /x: no such file or directory`, `exec: "/x": permission denied`):
   *  engines choose exit codes 127/126 by those words */
  resolve: ['ARG0', 'PATH'],
  /** the environment has no HOME: take UID's home directory from the container's own `/etc/passwd`
   *  (parsed here, not through NSS; only a regular file, never blocking on a FIFO), `/` without an
   *  entry, as runc and crun do; `exec` adds `HOME=` */
  home: ['UID'],
  /** `execve` the resolved program */
  exec: ['N', 'ARGS_THEN_ENV...'],
} as const satisfies Record<string, readonly string[]>;

/** The layer worker's records (`hako-init unpack DEST [SOURCE]`, native/unpack.c, driven by
 *  src/storage/layers/worker.ts): the same encoding on its stdin, each with exactly these arguments.
 *  PATHs are relative to DEST (`""` is DEST itself for `dirmeta`, `dirtime`, `list`, `empty`,
 *  `xattrs`), never followed in their last component, parents resolved beneath DEST without symlinks
 *  (native/README.md). Times are nanoseconds since the epoch; UID -1 means no chown. */
export const UNPACK_RECORDS = {
  /** mkdir; an existing directory is kept; a non-directory there is replaced (IFNONDIR `replace`)
   *  or an error (`fail`) */
  mkdir: ['PATH', 'MODE', 'IFNONDIR'],
  /** removes what is at PATH, creates it `O_EXCL|O_NOFOLLOW` 0600, writes the SIZE bytes that follow
   *  the record, then fchown, fchmod, futimens on that fd */
  file: ['PATH', 'SIZE', 'UID', 'GID', 'MODE', 'ATIME', 'MTIME'],
  /** the same with the content of SOURCE's SRC, which must be a regular file (checked on an `O_PATH`
   *  fd before it is opened) */
  copy: ['PATH', 'SRC', 'UID', 'GID', 'MODE', 'ATIME', 'MTIME'],
  /** replaces PATH by a symlink (lchown, lutimes) */
  symlink: ['PATH', 'TARGET:bytes', 'UID', 'GID', 'ATIME', 'MTIME'],
  /** replaces PATH by a hard link to TARGET (resolved the same way; not a directory) */
  link: ['PATH', 'TARGET'],
  /** replaces PATH by a KIND `char`/`block` device or `fifo`, made 0600, then chown and chmod through
   *  an `O_PATH` fd (`fchmodat2(AT_EMPTY_PATH)`, else `/proc/self/fd/N`); never opened */
  node: ['PATH', 'KIND', 'MODE', 'MAJOR', 'MINOR', 'UID', 'GID', 'ATIME', 'MTIME'],
  /** sets an xattr on exactly the inode at PATH (through `/proc/self/fd/N` of its `O_PATH` fd; a
   *  symlink's own) */
  xattr: ['PATH', 'NAME', 'VALUE:bytes'],
  /** removes PATH, a directory with everything below it; missing is fine */
  remove: ['PATH'],
  /** removes everything inside the directory PATH */
  empty: ['PATH'],
  /** owner and mode of the directory PATH */
  dirmeta: ['PATH', 'UID', 'GID', 'MODE'],
  /** times of the directory PATH */
  dirtime: ['PATH', 'ATIME', 'MTIME'],
  /** answers `e NAME TYPE` per entry (`d f l c b p s`), then `end` */
  list: ['PATH'],
  /** answers `x NAME VALUE…`, then `end` */
  xattrs: ['PATH'],
  /** answers, for everything below SOURCE breadth first, `e PATH TYPE MODE UID GID MAJOR MINOR SIZE
   *  NLINK INO ATIME MTIME LINKTARGET` followed by `x NAME VALUE…`, then `end` */
  walk: [],
  /** answers `d BYTES`: up to LENGTH (at most 16 MiB) bytes of SOURCE's regular file PATH from
   *  OFFSET (checked on an `O_PATH` fd before it is opened), then `end` (`hako build` reads build
   *  contexts and upper directories so) */
  read: ['PATH', 'OFFSET', 'LENGTH'],
  /** resolves PATH inside DEST as if DEST were `/` (`openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)`:
   *  a symlink, absolute or with `..`, stays inside DEST), makes missing directories 0755, and makes
   *  later records resolve beneath that directory (`hako build`'s COPY destination in a new root) */
  indest: ['PATH'],
  /** a mount target inside DEST, a container root (resolved in it as `indest`): missing
   *  directories made, then PATH as an empty directory or file (KIND `dir`/`file`) unless something
   *  is there (restore's mount points, as runc makes them) */
  mountpoint: ['PATH', 'KIND'],
  /** `walk` below SOURCE's directory PATH only (`hako cp`, `diff`, `commit`) */
  walkfrom: ['PATH'],
  /** `hako cp`: PARENT, a container path, resolved inside the root (WHICH: `dest` or `source`) with
   *  `openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)`, then its entry NAME (`""`: PARENT itself), a
   *  final symlink followed (inside the root again) only when FOLLOW is `1`; answers `e …` as `walk`
   *  with PATH canonical and relative to the root (from the kernel's names of both fds; outside the
   *  root is an error), or `missing PATH`, then `end`. Later records resolve the answer again beneath
   *  the root without symlinks, so a tree changed in between makes them fail */
  realpath: ['WHICH', 'PARENT', 'NAME', 'FOLLOW'],
  /** `hako cp`: opens a regular file of SOURCE for reading (checked on an `O_PATH` fd first), answers
   *  `fd N SIZE`, `end`; TypeScript reads it through `/proc/PID/fd/N` (that open file, no path) */
  open: ['PATH'],
  /** closes a file `open` opened */
  closefd: ['N'],
} as const satisfies Record<string, readonly string[]>;

export type RecordName = keyof typeof UNPACK_RECORDS;

/** One layer worker record on the wire. Made by rec(), never by hand. */
export type UnpackRecord = readonly (string | Buffer)[] & { readonly __unpackRecord: true };

/** The record `name` with its arguments, checked against UNPACK_RECORDS at compile time. */
export function rec<N extends RecordName>(name: N, ...args: Params<(typeof UNPACK_RECORDS)[N]>): UnpackRecord {
  return build(name, args as (Arg | Buffer | undefined)[]) as unknown as UnpackRecord;
}

export type OpName = keyof typeof PLAN_OPS;

/** An argument as callers give it: text, a number (written in decimal), or raw bytes where allowed. */
type Arg = string | number;
type Params<T extends readonly string[]> = T extends readonly [infer H extends string, ...infer R extends readonly string[]]
  ? H extends `${string}...`
    ? Arg[]
    : H extends `${string}?`
      ? [arg?: Arg, ...rest: Params<R>]
      : H extends `${string}:bytes`
        ? [arg: string | Buffer, ...rest: Params<R>]
        : [arg: Arg, ...rest: Params<R>]
  : [];

/** One plan operation on the wire: its name, then its arguments. Made by op(), never by hand. */
export type Op = readonly (string | Buffer)[] & { readonly __planOp: true };

/** The operation `name` with its arguments, checked against PLAN_OPS at compile time. */
export function op<N extends OpName>(name: N, ...args: Params<(typeof PLAN_OPS)[N]>): Op {
  return build(name, args as (Arg | Buffer | undefined)[]) as unknown as Op;
}

function build(name: string, args: (Arg | Buffer | undefined)[]): (string | Buffer)[] {
  const out: (string | Buffer)[] = [name];
  for (const a of args) {
    if (a === undefined) break; // an optional argument left out (only trailing ones are optional)
    out.push(typeof a === 'number' ? String(a) : a);
  }
  return out;
}

/** The number of arguments an operation needs at least: hako-init refuses a plan with fewer. */
export function minArgs(name: OpName): number {
  return PLAN_OPS[name].filter((a) => !a.endsWith('?') && !a.endsWith('...')).length;
}

/** native/ops.h: the C side of both tables, X-macros hako-init.c and unpack.c expand into their
 *  dispatch tables. */
export function opsHeader(): string {
  const macro = (name: string, rows: string[]) => [`#define ${name}(X) \\`, rows.join(' \\\n')];
  return [
    '/* Generated from src/native/ops.ts by scripts/build.mjs: edit those tables, not this file.',
    ' * HAKO_PLAN_OPS: X(NAME, MIN_ARGS) per plan operation; hako-init.c defines X to make its dispatch',
    ' * table, which calls op_NAME(argc, argv). HAKO_UNPACK_RECORDS: X(NAME, ARGS) per layer worker',
    ' * record, exactly ARGS arguments; unpack.c calls up_NAME(rec). */',
    '#ifndef HAKO_OPS_H',
    '#define HAKO_OPS_H',
    ...macro(
      'HAKO_PLAN_OPS',
      (Object.keys(PLAN_OPS) as OpName[]).map((name) => `  X(${name}, ${minArgs(name)})`),
    ),
    ...macro(
      'HAKO_UNPACK_RECORDS',
      (Object.keys(UNPACK_RECORDS) as RecordName[]).map((name) => `  X(${name}, ${UNPACK_RECORDS[name].length})`),
    ),
    '#endif',
    '',
  ].join('\n');
}
