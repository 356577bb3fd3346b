// hako-init's tool modes (native/hako-init.c main(): one argv word each), one wrapper per mode.
// These are short-lived processes for what Node cannot do itself: syscalls it lacks (bpf, setns,
// mount, seccomp export) and fs work on untrusted trees, which must resolve beneath a directory fd.
// Nothing outside src/native/ starts hako-init (the import check holds the others to this).
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { findHelper } from './find.js';
import { encodePlan } from './encode.js';
import { rec } from './ops.js';

/** A tool mode failed: `detail` is what hako-init said on stderr (its `hako-init: ` prefix removed,
 *  lines joined), or how starting it failed. Callers add what they were doing. */
export class NativeModeError extends HakoError {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** The rootless engine's user namespace (rootless-pause.ts: the shared one): the modes that work on its
 *  store's trees (rmtree, unpack) run in it, where the subordinate ids its files belong to are
 *  mapped. Unset (root, or nothing to do there yet): they run as we are. */
let storeUserns: string | undefined;

export function setStoreUserns(path: string | undefined): void {
  storeUserns = path;
}

const inStoreUserns = (args: string[]) => (storeUserns ? [`--userns=${storeUserns}`, ...args] : args);

/** Rootless user networks: the namespace the bridge driver's `netlink` calls "host" is the user's
 *  rootless network namespace (the shared user namespace's holder's), entered with its user
 *  namespace first. Unset: our own (root's host namespace). */
let driverNetns: { userns: string; netns: string } | undefined;

export function setDriverNetns(ns: { userns: string; netns: string } | undefined): void {
  driverNetns = ns;
}

const inDriverNetns = (args: string[]) => (driverNetns ? [`--userns=${driverNetns.userns}`, `--netns=${driverNetns.netns}`, ...args] : args);

/** Runs `hako-init ARGS…` to completion; returns its stdout. */
function runMode(args: string[], input?: string | Buffer): Buffer {
  try {
    return execFileSync(findHelper(), args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message?: string };
    const said = e.stderr
      ?.toString('utf8')
      .trim()
      .replace(/^hako-init: /, '')
      .replace(/\s*\n\s*/g, ' ');
    throw new NativeModeError(said || `hako-init ${args[0]}: ${e.message ?? String(err)}`);
  }
}

/** `--userns=PATH exec ARGV…` (`hako unshare`): ARGV in that user namespace, on our stdio; its exit
 *  status (128+N for a signal, 127 when it cannot be run). */
export function execInUserns(userns: string, argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(findHelper(), [`--userns=${userns}`, 'exec', ...argv], { stdio: 'inherit' });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)));
  });
}

/** `seccomp-export`: PROFILE text (seccomp/compile.ts) on stdin -> the compiled filter blob. */
export function seccompExport(profile: string): Buffer {
  return runMode(['seccomp-export'], profile);
}

/** `bpf-devices DIR`: attaches the eBPF device program on stdin to a cgroup2 directory. */
export function bpfDevices(cgroupDir: string, program: Buffer): void {
  runMode(['bpf-devices', cgroupDir], program);
}

/** `netns-create PATH`: a new network namespace bound onto PATH. */
export function netnsCreate(pin: string): void {
  runMode(['netns-create', pin]);
}

/** `netns-delete PATH`: unmounts and removes a pin. */
export function netnsDelete(pin: string): void {
  runMode(['netns-delete', pin]);
}

/** `netlink [NETNS]`: rtnetlink messages (records built by src/network/netlink/) sent on NETLINK_ROUTE
 *  sockets, in our namespace and NETNS's (opened as fd 3 for IFLA_NET_NS_FD); the kernel's answers,
 *  one record per message, on stdout (native/netlink.c). */
export function netlink(batch: Buffer, netns?: string): Buffer {
  return runMode(inDriverNetns(netns ? ['netlink', netns] : ['netlink']), batch);
}

/** `netlink` from a detached hako-init nobody waits for: the batch goes through a file in
 *  `scratchDir` unlinked at once, so it cannot be lost when this process exits first. */
export function netlinkDetached(batch: Buffer, scratchDir: string): void {
  const file = path.join(scratchDir, `.netlink-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, batch);
  const fd = fs.openSync(file, 'r');
  try {
    fs.unlinkSync(file);
    spawn(findHelper(), inDriverNetns(['netlink']), { detached: true, stdio: [fd, 'ignore', 'ignore'] }).unref();
  } finally {
    fs.closeSync(fd);
  }
}

/** `mount SOURCE TARGET FSTYPE FLAGS DATA [CWD]`: mount(2) in our mount namespace, from CWD (overlay
 *  option strings are relative to it, to stay under the page-size limit). */
export function mount(op: { source: string; target: string; fstype: string; flags: number; data: string; cwd?: string }): void {
  runMode(['mount', op.source, op.target, op.fstype, String(op.flags), op.data, ...(op.cwd ? [op.cwd] : [])]);
}

/** `umount DIR`: detaches the top mount at DIR, with everything beneath it. */
export function umount(dir: string): void {
  runMode(['umount', dir]);
}

/** `rmtree PATH [MOUNT...]`: removes an untrusted tree, fd-relative, never following a symlink or
 *  crossing a mount; first detaches MOUNTs (as `umount`), say a container's root inside PATH. */
export function rmtree(path: string, unmountFirst: string[] = []): void {
  // A rootless store has nothing mounted on the host (a container's overlay lives in its own mount
  // namespace), and umount from the store's namespace would be refused anyway: no MOUNTs there.
  runMode(storeUserns ? inStoreUserns(['rmtree', path]) : ['rmtree', path, ...unmountFirst]);
}

/** `unpack DEST [SOURCE]`: the layer worker (native/unpack.c), driven by storage/layers/worker.ts
 *  over its stdin/stdout in the plan encoding. */
export function spawnUnpackWorker(dest: string, source?: string, where: WorkerPlace = {}): ChildProcessWithoutNullStreams {
  const root = where.inRoot !== undefined ? ['--in-root', where.inRoot] : [];
  const mount = where.mount ? privateMountWords(where.mount) : [];
  const args = inStoreUserns([...mount, 'unpack', ...root, dest, ...(source !== undefined ? [source] : [])]);
  // Opened as we are, before the store's namespace is joined: DEST and SOURCE name it OPENED_FIRST.
  const first = where.openFirst !== undefined ? [`--open-first=${where.openFirst}`] : [];
  return spawn(findHelper(), [...first, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** `--open-first=DIR`'s directory, as the worker's DEST or SOURCE names it (native/userns.c). */
export const OPENED_FIRST = '/proc/self/fd/7/.';

/** Where a worker acts, besides DEST and SOURCE. inRoot: the directory DEST's records start from,
 *  resolved inside DEST (`hako cp`). mount: see PrivateMount. openFirst (rootless): a directory the
 *  worker opens before it joins the store's user namespace, which DEST and SOURCE then name
 *  OPENED_FIRST: a running container's /proc/PID/root, which only its owner may open. */
export interface WorkerPlace {
  inRoot?: string;
  mount?: PrivateMount;
  openFirst?: string;
}

/** A mount the worker makes in a mount namespace of its own before it opens DEST and SOURCE
 *  (native/mountmode.c, `--private-mount`): the rootless store's overlays, which an ordinary user
 *  can mount only there. Absolute paths only (no cwd): the worker's cwd is not the store. */
export interface PrivateMount {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string;
  cwd?: string;
}

function privateMountWords(m: PrivateMount): string[] {
  if (m.cwd !== undefined) throw new HakoError(`private mount on ${m.target}: options relative to a directory are not supported`);
  return ['--private-mount', m.source, m.target, m.fstype, String(m.flags), m.data];
}

/** `unpack ROOT` with `mountpoint` records: mount targets made inside a container root where
 *  missing (resolved in it, never followed out; native/unpack.c). */
export function makeMountpoints(root: string, targets: { path: string; kind: 'dir' | 'file' }[]): void {
  if (targets.length) runMode(['unpack', root], encodePlan(targets.map((t) => rec('mountpoint', t.path, t.kind))));
}

/** `--engine-socket=PATH`: the command line conmon runs as its OCI runtime; the helper connects to
 *  the engine process at PATH and is driven with launch.ts's attach(). */
export function engineSocketCommand(socketPath: string): { path: string; args: string[] } {
  return { path: findHelper(), args: [`--engine-socket=${socketPath}`] };
}

/** `attach-relay DIR`: connects to conmon's SOCK_SEQPACKET attach socket DIR/attach (which Node
 *  cannot open) and relays: its stdin to the container's stdin, the container's output to its stdout
 *  as docker's attach stream frames (native/attach.c). Ends when conmon closes the socket. */
export function spawnAttachRelay(dir: string): ChildProcessWithoutNullStreams {
  return spawn(findHelper(), ['attach-relay', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A user namespace and a mount namespace it owns (the rootless holder's): where fuse-overlayfs
 *  mounts a container's root. */
export interface MountNamespace {
  userns: string;
  mntns: string;
}

/** `--userns=U --mntns=M exec PROGRAM -o DATA TARGET`: fuse-overlayfs mounts TARGET there and goes
 *  to the background (libfuse's daemonize: the mount exists when the foreground process exits). */
export function fuseOverlayMount(ns: MountNamespace, program: string, data: string, target: string): void {
  runMode([`--userns=${ns.userns}`, `--mntns=${ns.mntns}`, 'exec', program, '-o', data, target]);
}

/** `--userns=U --mntns=M umount TARGET`: detaches TARGET in that mount namespace. */
export function umountIn(ns: MountNamespace, target: string): void {
  runMode([`--userns=${ns.userns}`, `--mntns=${ns.mntns}`, 'umount', target]);
}
