// The OCI lifecycle (create -> start -> kill -> delete, and run = all of them) as a library.
// The CLI (cli.ts) is a thin layer over this; engines embedding hako call it directly and pay
// Node's start-up once instead of once per container.
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { StdioOptions } from 'node:child_process';
import { asHakoError, ConfigError, HakoError } from '../util/errors.js';
import { loadBundle, type Bundle } from './bundle.js';
import { attach, launch, PRESERVED_FDS_FIRST, type Launched, type LaunchOptions } from '../native/launch.js';
import { seccompExport } from '../native/modes.js';
import { writeIdMaps } from '../native/userns.js';
import { cachedSeccompFilter, compileSeccomp, seccompUsesNotify } from './seccomp/index.js';
import { runHooks, runHooksWarning } from './hooks.js';
import { detachMountsAbove, mountsAt } from './host-mounts.js';
import { compilePlan, namespaceMap } from './plan/compile.js';
import { compileExecPlan } from './plan/exec.js';
import { joinCgroupDir, parseSubCgroups, subCgroupDirs } from './exec-cgroup.js';
import { validateProcess } from '../oci/validate.js';
import { describePlan, encodePlan } from '../native/encode.js';
import { op, type Op } from '../native/ops.js';
import { parseSignal, SIGNALS } from '../oci/names.js';
import { OCI_VERSION } from '../oci/default.js';
import {
  DEFAULT_CGROUP_ROOT,
  discoverV1Hierarchies,
  moveToCgroupsOf,
  openCgroup,
  primeCgroupMigration,
  resolveCgroupsPath,
  type Cgroup,
  type CgroupStats,
} from '../cgroups/index.js';
import type { CgroupMountInfo, PlanContext } from './plan/compile.js';
import path from 'node:path';
import { trace } from '../util/trace.js';
import { debugEnabled, logDebug } from '../util/log.js';
import { pollUntil } from '../util/sleep.js';
import { readFifo } from '../util/fifo.js';
import { FormatVersionError } from '../util/format-version.js';
import type { IdMapping, Process, Resources, Seccomp, Spec, State } from '../oci/types.js';
import { defaultRoot, ociState, StateDir, statusOf, validateId, type ContainerRecord } from './state.js';
import { procStat } from '../util/proc.js';
import type { Restored } from './criu/restore.js';
import type { CheckpointOptions, RestoreOptions } from './criu/options.js';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  /** stdin, stdout, stderr of the container process; default: ours. */
  stdio?: StdioOptions;
  /** runc's --preserve-fds N: our fds 3..3+N-1 become the container process's 3..3+N-1. */
  preserveFds?: number;
  /** A hako-init that is already running and connected to us (conmon's runtime on the engine
   *  socket, native/README.md): it is used instead of starting one, and its stdio (conmon's) is
   *  the container's. Its pid file is written before it exits, as conmon reads it then. */
  attached?: { conn: Socket; pid: number };
  /** Called once the container's namespaces exist, before its process runs (where createRuntime
   *  hooks run), with its pid: a rootless engine starts the container's user-mode network here. */
  onCreated?: (pid: number) => Promise<void>;
}

export interface ExecOptions {
  detach?: boolean;
  /** runc's --ignore-paused: exec into a frozen container (the process starts frozen too). */
  ignorePaused?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  stdio?: StdioOptions;
  /** runc's --preserve-fds N: our fds 3..3+N-1 become the process's 3..3+N-1. */
  preserveFds?: number;
  /** runc's --cgroup flags: sub-cgroups of the container's to join (exec-cgroup.ts). */
  cgroup?: string[];
  /** The process's pipes ('pipe' entries of stdio), for a caller that relays them (the Docker API);
   *  such a caller owns the streams, so this process's signals are left alone (not passed on). */
  onStdio?: LaunchOptions['onStdio'];
}

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  /** Keep the container's state after it exits (`run --keep`). */
  keep?: boolean;
}

export interface RuntimeOptions {
  /** The state directory; default /run/hako (runc's /run/runc). */
  root?: string;
  /**
   * Where warnings go (a failing poststart/poststop hook, an error hako-init reports after the
   * container started, a cgroup limit the kernel ignores): the text the CLI prints after `hako: `
   * (`warning: poststop hook /x: exited with status 1`). The library prints nothing itself;
   * without a callback warnings are dropped.
   */
  onWarning?: (message: string) => void;
  /** runc's --systemd-cgroup: new containers get a systemd scope (linux.cgroupsPath is then
   *  "slice:prefix:name"). Later commands find the driver in the container's state. */
  systemdCgroup?: boolean;
}

/**
 * The OCI runtime as a library. Every method that can wait (a lock held by another process, the
 * start barrier, a process dying) is asynchronous and yields the event loop while it waits.
 */
export class Runtime {
  readonly states: StateDir;
  private readonly warn: (message: string) => void;
  private readonly cgroupWarn = (message: string) => this.warn(`warning: ${message}`);
  private readonly systemdCgroup: boolean;

  constructor(opts: RuntimeOptions = {}) {
    this.states = new StateDir(opts.root ?? defaultRoot());
    this.warn = opts.onWarning ?? (() => {});
    this.systemdCgroup = opts.systemdCgroup ?? false;
  }

  /** `create`: the container waits at the start barrier when this resolves. */
  async create(id: string, opts: CreateOptions): Promise<void> {
    const { launched } = await this.prepare(id, opts, opts.attached ? 'exit-synced' : 'exit', opts.consoleSocket);
    launched.detach();
  }

  /** `start`: lets the process run (opens the barrier), then poststart hooks. */
  async start(id: string): Promise<void> {
    await this.states.lock(validateId(id), async () => {
      const rec = this.states.read(id);
      const status = statusOf(this.states, rec);
      if (status !== 'created') throw new HakoError(`cannot start container "${id}" in state ${status}`);
      await this.openBarrier(rec);
      // The state as of the start: a quick process may already be gone when the hook runs.
      const started: State = { ...ociState(this.states, rec), status: 'running', pid: rec.pid };
      await runHooksWarning('poststart', rec.hooks?.poststart, started, this.warn);
    });
  }

  state(id: string): State {
    const rec = this.states.read(validateId(id));
    return { ...ociState(this.states, rec), status: this.status(rec) };
  }

  /** `state` as runc prints it: the OCI state plus runc's rootfs (absolute), created and owner,
   *  which tools written against runc read. */
  runcState(id: string): State & { rootfs: string; created: string; owner: string } {
    const rec = this.states.read(validateId(id));
    const root = this.states.readConfig(id).root?.path ?? 'rootfs';
    let owner = '';
    try {
      const uid = fs.statSync(this.states.dir(id)).uid;
      const entry = fs
        .readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[2] === String(uid));
      owner = entry?.[0] ?? `#${uid}`;
    } catch {
      /* no /etc/passwd: no name */
    }
    return { ...this.state(id), rootfs: path.resolve(rec.bundle, root), created: rec.created, owner };
  }

  list(): (State & { created: string })[] {
    const out: (State & { created: string })[] = [];
    for (const id of this.states.list()) {
      try {
        const rec = this.states.read(id);
        out.push({ ...ociState(this.states, rec), status: this.status(rec), created: rec.created });
      } catch (e) {
        if (e instanceof FormatVersionError) throw e; // a state this hako cannot read is not "gone"
        /* removed meanwhile */
      }
    }
    return out;
  }

  /**
   * `kill`, with runc's semantics, which engines match on: a stopped container is an error worded
   * as runc's (`container not running`: containerd's shim recognises it), except with `--all`,
   * which containerd sends after every exit and which succeeds then. Signal 0 only checks that the
   * process is there. SIGKILL to a paused container thaws it afterwards: under the v1 freezer a
   * frozen process only dies once thawed (v2 lets fatal signals through; thawing is then harmless).
   */
  async kill(id: string, signal: string | number = 'SIGTERM', opts: { all?: boolean } = {}): Promise<void> {
    const sig = typeof signal === 'number' ? signal : parseSignal(signal, { allowZero: true });
    const rec = this.states.read(validateId(id));
    const status = this.status(rec);
    if (status !== 'created' && status !== 'running' && status !== 'paused') {
      if (opts.all && status === 'stopped') return;
      throw new HakoError(`cannot kill container "${id}": container not running (state ${status})`);
    }
    trace(`kill ${id}: signal ${sig} to ${opts.all ? 'every process' : `pid ${rec.pid}`} (state ${status})`);
    if (opts.all) {
      // Without its own PID namespace the container's other processes survive its init: signal them too.
      for (const pid of this.containerPids(rec))
        try {
          process.kill(pid, sig);
        } catch {
          /* gone */
        }
    }
    try {
      process.kill(rec.pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      if (sig === 0) throw new HakoError(`cannot kill container "${id}": container not running`);
    }
    if (sig === SIGNALS.SIGKILL && status === 'paused') await this.thaw(rec);
  }

  /** `delete`; with `--force` a running or paused container is killed first, and a container
   *  that does not exist is no error (runc's behaviour, which engines rely on when cleaning up). */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    validateId(id);
    if (opts.force && !this.states.exists(id)) return;
    try {
      await this.states.lock(id, async () => {
        const rec = this.states.read(id);
        const status = this.status(rec);
        if ((status === 'running' || status === 'paused') && !opts.force) {
          throw new HakoError(`cannot delete container "${id}" in state ${status} (stop it first, or use --force)`);
        }
        if (status !== 'stopped') await this.killAndWait(rec);
        await this.destroy(rec);
      });
    } catch (e) {
      // Deleted by someone else meanwhile: what --force asked for is done.
      if (opts.force && !this.states.exists(id)) return;
      throw e;
    }
  }

  /** `run`: create + start; in the foreground it waits and returns the exit status (128+signal). */
  async run(id: string, opts: RunOptions): Promise<number> {
    if (opts.detach) {
      await this.create(id, opts);
      await this.start(id);
      return 0;
    }
    const unignore = surviveTerminalSignals();
    let prepared: Awaited<ReturnType<Runtime['prepare']>>;
    try {
      prepared = await this.prepare(id, opts, 'wait', opts.consoleSocket ?? '@relay');
    } catch (e) {
      unignore();
      throw e;
    }
    const { launched, rec } = prepared;
    const unforward = forwardSignals(launched);
    try {
      try {
        await this.start(id);
      } catch (e) {
        // The helper's own reason (a failed open of the barrier, a hook) beats "exited before start".
        const late = await launched.lateError();
        throw late ? new HakoError(late) : e;
      }
      trace('started');
      const code = await launched.exited;
      trace('exited');
      const late = await launched.lateError();
      if (late) this.warn(late);
      launched.detach();
      if (!opts.keep) await this.states.lock(id, () => this.destroy(this.states.read(id)));
      trace('destroyed');
      return code;
    } catch (e) {
      try {
        await this.states.lock(id, async () => {
          await this.killAndWait(rec);
          await this.destroy(rec);
        });
      } catch {
        /* already gone */
      }
      throw e;
    } finally {
      unforward();
      unignore();
    }
  }

  /** What create and restore begin with: the bundle, the cgroup it asks for (none when rootless
   *  without a writable tree), and the container's record in state `creating`. */
  private newRecord(id: string, bundleDir: string, opts: { systemd: boolean }) {
    const bundle = loadBundle(bundleDir);
    const { spec } = bundle;
    const cgroupsPath = resolveCgroupsPath(spec.linux?.cgroupsPath, id, { systemd: opts.systemd });
    const cgroup: Cgroup | undefined = rootlessWithoutCgroups(spec, cgroupsPath) ? undefined : openCgroup(cgroupsPath, { warn: this.cgroupWarn });
    const nss = namespaceMap(spec);
    const rec: ContainerRecord = {
      id,
      bundle: bundle.dir,
      pid: 0,
      pidStartTime: '',
      created: new Date().toISOString(),
      status: 'creating',
      annotations: spec.annotations,
      hooks: spec.hooks,
      ownPidNamespace: nss.has('pid') && !nss.get('pid')!.path,
      cgroupsPath: cgroup && cgroupsPath,
    };
    return { bundle, spec, cgroupsPath, cgroup, nss, rec };
  }

  /**
   * `exec`: runs `process` inside the running container: all its namespaces, its cgroup, its
   * seccomp filter. In the foreground it returns the exit status; detached, 0 once the process runs.
   */
  async exec(id: string, proc: Process, opts: ExecOptions = {}): Promise<number> {
    const rec = this.states.read(validateId(id));
    const status = statusOf(this.states, rec);
    if (status !== 'running' && status !== 'created') throw new HakoError(`cannot exec in container "${id}" in state ${status}`);
    if (opts.pidFile) checkPidFileDir(opts.pidFile);
    // A process joining a frozen cgroup freezes before it could report back: refuse, in runc's words.
    if (!opts.ignorePaused && this.status(rec) === 'paused') throw new HakoError('cannot exec in a paused container (use --ignore-paused to override)');
    const spec = this.states.readConfig(id);
    const process2 = validateProcess(proc, 'exec');
    if (process2.terminal && opts.detach && !opts.consoleSocket) throw new HakoError('exec: --tty with --detach needs --console-socket');
    const seccompProfile = spec.linux?.seccomp ? seccompFilter(spec.linux.seccomp) : undefined;
    const ops = compileExecPlan(spec, process2, {
      pid: rec.pid,
      forkMode: opts.detach ? 'exit' : 'wait',
      seccompProfile,
      seccompListener: notifyListener(spec),
      console: process2.terminal ? (opts.consoleSocket ?? '@relay') : undefined,
      preserveFds: opts.preserveFds ? { first: PRESERVED_FDS_FIRST, count: opts.preserveFds } : undefined,
    });
    const cgroup = this.cgroupOf(rec);
    let subDirs: string[] = [];
    if (opts.cgroup?.length) {
      const subs = parseSubCgroups(opts.cgroup);
      if (!cgroup?.exists()) throw new HakoError(`exec: --cgroup ${opts.cgroup.join(' ')}: container "${id}" has no cgroup`);
      subDirs = subCgroupDirs(cgroup, subs, opts.cgroup);
    }
    if (cgroup) void primeCgroupMigration(DEFAULT_CGROUP_ROOT, cgroup.version === 2);
    debugPlan(`exec in ${id}`, ops);
    const ownsSignals = !opts.detach && !opts.onStdio;
    const unignore = ownsSignals ? surviveTerminalSignals() : () => {};
    try {
      const launched = await launch({
        plan: encodePlan(ops),
        stdio: Array.isArray(opts.stdio) ? opts.stdio : ['inherit', 'inherit', 'inherit'],
        preserveFds: opts.preserveFds,
        onStdio: opts.onStdio,
        // Same cgroup as the container (limits, accounting, `ps`, and the cgroup namespace's root).
        // With --cgroup, on into the sub-cgroups (the hierarchies without one keep the container's).
        beforePlan: (pid) => {
          if (cgroup?.exists()) cgroup.addProcess(pid);
          for (const dir of subDirs) joinCgroupDir(dir, pid);
        },
        onSync: (name, ctx) => {
          if (name !== 'seccomp') throw new HakoError(`internal: unknown sync point "${name}"`);
          return containerProcessState(spec, { ...this.state(id), pid: ctx.containerPid });
        },
        onPid: (_pid, helperPid) => {
          if (!opts.detach && cgroup?.exists()) moveMonitorOut(helperPid);
        },
        warn: this.warn,
      });
      if (opts.pidFile) writePidFile(opts.pidFile, launched.containerPid);
      if (opts.detach) {
        launched.detach();
        return 0;
      }
      const unforward = ownsSignals ? forwardSignals(launched) : () => {};
      try {
        const code = await launched.exited;
        const late = await launched.lateError();
        if (late) throw new HakoError(late);
        return code;
      } finally {
        launched.detach();
        unforward();
      }
    } finally {
      unignore();
    }
  }

  /**
   * `checkpoint` (runc's): the running container's process tree to images with criu. Unless it
   * leaves the container running (or pre-dumps), the container is gone afterwards, as with runc.
   */
  async checkpoint(id: string, opts: CheckpointOptions): Promise<void> {
    await this.states.lock(validateId(id), async () => {
      const rec = this.states.read(id);
      const status = this.status(rec);
      if (status !== 'running' && status !== 'paused') throw new HakoError(`cannot checkpoint container "${id}" in state ${status}`);
      const spec = this.states.readConfig(id);
      const cg = this.cgroupOf(rec);
      const dirs = cg?.exists() ? cg.dirs() : undefined;
      // criu's modules (protobufjs among them) on first use: every other command would load them.
      const { dumpContainer } = await import('./criu/checkpoint.js');
      await dumpContainer(
        {
          pid: rec.pid,
          spec,
          rootfs: fs.realpathSync(path.resolve(rec.bundle, spec.root?.path ?? 'rootfs')),
          freezeCgroup: dirs && (cg!.version === 2 ? dirs[''] : dirs.freezer),
          cgroups: cg && dirs ? { version: cg.version, hostDirs: cgroupBindDirs(cg) } : undefined,
          annotations: rec.annotations,
        },
        opts,
      );
      if (!opts.leaveRunning && !opts.preDump) {
        await this.killAndWait(rec);
        await this.destroy(rec);
      }
    });
  }

  /**
   * `restore` (runc's): a container `id` from the bundle, its process tree from the images. Detached,
   * it resolves with 0 once the process runs; in the foreground, with its exit status, and the
   * container is deleted then, as after `run`.
   */
  async restore(id: string, opts: RestoreOptions): Promise<number> {
    validateId(id);
    if (opts.pidFile) checkPidFileDir(opts.pidFile);
    // The cgroupfs driver: criu puts the restored tree back into the cgroup itself.
    const { bundle, spec, cgroup, rec } = this.newRecord(id, opts.bundle, { systemd: false });
    this.states.claim(id);
    let restored: Restored;
    try {
      cgroup?.create(containerResources(spec));
      this.states.write(rec);
      this.states.writeConfig(id, spec);
      const { restoreContainer } = await import('./criu/restore.js');
      restored = await restoreContainer(
        {
          spec,
          rootfs: bundle.rootfs,
          stateDir: this.states.dir(id),
          cgroups: cgroup ? { version: cgroup.version, hostDirs: cgroupBindDirs(cgroup) } : undefined,
          place: (pid) => cgroup?.addProcess(pid),
          onNamespaces: async (pid) => {
            const state = this.stateWhileCreating(rec, pid);
            await runHooks('prestart', spec.hooks?.prestart, state);
            await runHooks('createRuntime', spec.hooks?.createRuntime, state);
          },
        },
        opts,
      );
      rec.pid = restored.pid;
      rec.pidStartTime = procStat(rec.pid)?.startTime ?? '';
      rec.status = 'created';
      this.states.write(rec);
      if (opts.pidFile) writePidFile(opts.pidFile, rec.pid);
    } catch (e) {
      await this.killAndWait(rec);
      await this.destroy(rec, { hooks: false });
      throw e;
    }
    if (opts.detach) {
      const { code, stderr } = await restored.swrk.exited;
      if (code !== 0) this.warn(`warning: criu exited with status ${code} after the restore${stderr ? `: ${stderr}` : ''}`);
      return 0;
    }
    moveMonitorOut(restored.swrk.pid);
    const { code } = await restored.swrk.exited;
    await this.states.lock(id, () => this.destroy(this.states.read(id)));
    return code;
  }

  // ---- internals ----

  private async prepare(
    id: string,
    opts: CreateOptions,
    forkMode: PlanContext['forkMode'],
    console: string | undefined,
  ): Promise<{ launched: Launched; rec: ContainerRecord }> {
    validateId(id);
    trace('prepare');
    if (opts.pidFile) checkPidFileDir(opts.pidFile);
    const { bundle, spec, cgroupsPath, cgroup, nss, rec } = this.newRecord(id, opts.bundle, { systemd: this.systemdCgroup });
    const fifo = this.states.fifo(id);
    if (!nss.has('mount')) {
      const rootfs = fs.realpathSync(bundle.rootfs);
      rec.hostMounts = { rootfs, below: mountsAt(rootfs) };
    }
    // A cgroup that already exists frozen (left paused, or prepared so by an engine) would freeze
    // the helper before it reports anything. runc refuses it before making anything; so do we
    // (it is not ours to thaw).
    if (cgroup && isFrozen(cgroup)) throw new HakoError(`container's cgroup unexpectedly frozen: ${cgroupsPath} (linux.cgroupsPath), as runc refuses it`);
    this.states.claim(id);
    try {
      cgroup?.create(containerResources(spec));
      // The kernel's wait before the first cgroup migration (10-20 ms here, src/cgroups/prime.ts)
      // passes while we compile the plan, write the state and spawn hako-init. Not earlier: the
      // priming write holds cgroup_mutex, which mkdir needs. Compile errors after this point
      // remove the cgroup and the state like any other failure (the catch below).
      if (cgroup) void primeCgroupMigration(DEFAULT_CGROUP_ROOT, cgroup.version === 2);
      trace('cgroup created');
      await nextTurn();
      const ops = createPlan(spec, bundle, { fifo, forkMode, console, opts, cgroup });
      debugPlan(`create ${id}`, ops);
      this.states.write(rec);
      this.states.writeConfig(id, spec);
      trace('state written');
      await nextTurn();
      const launchOptions = {
        plan: encodePlan(ops),
        // In the cgroup before it acts: everything it forks is accounted and limited from the start,
        // and a new cgroup namespace gets this cgroup as its root.
        beforePlan: (pid: number) => (cgroup?.place ? cgroup.place(pid) : cgroup?.addProcess(pid)),
        onPid: (pid: number, helperPid: number) => {
          rec.pid = pid;
          // A foreground monitor stays alive: it must not count against the container's limits.
          if (forkMode === 'wait' && cgroup) moveMonitorOut(helperPid);
        },
        onSync: (name: string, ctx: { helperPid: number; containerPid: number }) => this.onSync(name, ctx, bundle, rec, opts),
        warn: this.warn,
      };
      const launched = opts.attached
        ? await attach(opts.attached.conn, opts.attached.pid, launchOptions)
        : await launch({
            ...launchOptions,
            stdio: Array.isArray(opts.stdio) ? opts.stdio : ['inherit', 'inherit', 'inherit'],
            preserveFds: opts.preserveFds,
          });
      trace('ready');
      rec.pid = launched.containerPid;
      rec.pidStartTime = procStat(rec.pid)?.startTime ?? '';
      rec.status = 'created';
      this.states.write(rec);
      if (opts.pidFile) writePidFile(opts.pidFile, rec.pid);
      return { launched, rec };
    } catch (e) {
      await this.killAndWait(rec);
      await this.destroy(rec, { hooks: false, cgroup });
      throw e;
    }
  }

  private async onSync(
    name: string,
    ctx: { helperPid: number; containerPid: number },
    bundle: Bundle,
    rec: ContainerRecord,
    opts: Pick<CreateOptions, 'pidFile' | 'onCreated'>,
  ): Promise<string | undefined> {
    const pidFile = opts.pidFile;
    switch (name) {
      case 'pidfile':
        if (pidFile) writePidFile(pidFile, ctx.containerPid);
        return undefined;
      case 'userns':
        await writeIdMaps(ctx.helperPid, bundle.spec.linux?.uidMappings ?? [], bundle.spec.linux?.gidMappings ?? []);
        return undefined;
      case 'createRuntime': {
        const state = this.stateWhileCreating(rec, ctx.containerPid);
        await runHooks('prestart', bundle.spec.hooks?.prestart, state);
        await runHooks('createRuntime', bundle.spec.hooks?.createRuntime, state);
        await opts.onCreated?.(ctx.containerPid);
        return JSON.stringify(state);
      }
      case 'seccomp':
        return containerProcessState(bundle.spec, this.stateWhileCreating(rec, ctx.containerPid));
      default:
        throw new HakoError(`internal: unknown sync point "${name}"`);
    }
  }

  /** The state hooks and a seccomp agent see during create: `created` (what runc and crun send,
   *  and what the conformance suite checks), with the container's pid, which the record only gets
   *  for good at `ready`. */
  private stateWhileCreating(rec: ContainerRecord, pid: number): State {
    rec.pid = pid;
    const { status: _status, ...rest } = ociState(this.states, { ...rec, status: 'created', pidStartTime: procStat(pid)?.startTime ?? '' });
    return { ...rest, status: 'created', pid };
  }

  /**
   * Opens the start barrier. Our open lets the container's blocked open(O_WRONLY) complete; it
   * writes one byte and keeps its end (close-on-exec) through its startContainer hooks until it
   * execs, so end of file after the byte means the process runs (or died). poststart hooks must
   * come after that (OCI runtime spec, lifecycle step 10). The kernel wakes us for both
   * (util/fifo.ts): no polling on the way. A timer only notices a container that died before it
   * opened its end (no end of file ever comes then) or never takes the signal.
   */
  private async openBarrier(rec: ContainerRecord): Promise<void> {
    const fifo = this.states.fifo(rec.id);
    const reader = await readFifo(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    trace(`start ${rec.id}: barrier open, waiting for the exec`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const since = Date.now();
      const stuck = new Promise<'stopped' | 'timeout'>((resolve) => {
        timer = setInterval(() => {
          if (statusOf(this.states, rec) === 'stopped') resolve('stopped');
          else if (!reader.bytes() && Date.now() - since > 10_000) resolve('timeout');
        }, 10);
      });
      const outcome = await Promise.race([reader.ended, stuck]);
      // A quick process may have written its byte, run and exited before the reader took it in.
      if (!reader.bytes() && !(outcome === 'stopped' && byteWaiting(fifo))) {
        if (outcome === 'timeout') throw new HakoError(`container "${rec.id}" did not take the start signal`);
        throw new HakoError(`container "${rec.id}" exited before it could start`);
      }
    } finally {
      clearInterval(timer);
      reader.close();
    }
    fs.rmSync(fifo, { force: true });
    trace(`start ${rec.id}: barrier opened, process ${rec.pid} runs`);
  }

  /** Every process of the container: its cgroup's, which also catches what escaped init's tree. */
  containerPids(rec: ContainerRecord): number[] {
    const cg = this.cgroupOf(rec);
    const pids = cg?.exists() ? cg.pids() : [];
    return pids.length ? pids : rec.pid && statusOf(this.states, rec) !== 'stopped' ? [rec.pid] : [];
  }

  cgroupOf(rec: ContainerRecord): Cgroup | undefined {
    return rec.cgroupsPath ? openCgroup(rec.cgroupsPath, { warn: this.cgroupWarn }) : undefined;
  }

  /** `pause`: freeze every process of the container. */
  async pause(id: string): Promise<void> {
    await this.states.lock(validateId(id), async () => {
      const rec = this.states.read(id);
      const status = this.status(rec);
      if (status !== 'running' && status !== 'created') throw new HakoError(`cannot pause container "${id}" in state ${status}`);
      await this.requireCgroup(rec).freezeAsync();
      trace(`pause ${id}: frozen`);
    });
  }

  async resume(id: string): Promise<void> {
    await this.states.lock(validateId(id), async () => {
      const rec = this.states.read(id);
      if (this.status(rec) !== 'paused') throw new HakoError(`cannot resume container "${id}": it is not paused`);
      await this.requireCgroup(rec).thawAsync();
      trace(`resume ${id}: thawed`);
    });
  }

  /** `update`: new limits for a live container. */
  async update(id: string, resources: Resources): Promise<void> {
    await this.states.lock(validateId(id), async () => {
      const rec = this.states.read(id);
      const status = this.status(rec);
      if (status === 'stopped') throw new HakoError(`cannot update container "${id}": it is stopped`);
      const cg = this.requireCgroup(rec);
      if (cg.updateAsync) await cg.updateAsync(resources);
      else cg.update(resources);
      const spec = this.states.readConfig(id);
      spec.linux = { ...spec.linux, resources: mergeResources(spec.linux?.resources ?? {}, resources) };
      this.states.writeConfig(id, spec);
    });
  }

  stats(id: string): CgroupStats {
    return this.requireCgroup(this.states.read(validateId(id))).stats();
  }

  /** The OCI status, or runc's `paused` for a frozen container. */
  status(rec: ContainerRecord): State['status'] | 'paused' {
    const status = statusOf(this.states, rec);
    if (status === 'running' || status === 'created') {
      const cg = this.cgroupOf(rec);
      try {
        if (cg?.state() === 'frozen') return 'paused';
      } catch {
        /* no freezer: cannot be paused */
      }
    }
    return status;
  }

  private requireCgroup(rec: ContainerRecord): Cgroup {
    const cg = this.cgroupOf(rec);
    if (!cg?.exists()) throw new HakoError(`container "${rec.id}" has no cgroup`);
    return cg;
  }

  /** Thaws the container's cgroup if it is frozen; no cgroup or no freezer: nothing to do. */
  private async thaw(rec: ContainerRecord): Promise<void> {
    const cg = this.cgroupOf(rec);
    if (cg) await this.thawCgroup(cg);
  }

  private async thawCgroup(cg: Cgroup): Promise<void> {
    try {
      if (isFrozen(cg)) await cg.thawAsync();
    } catch {
      /* no freezer */
    }
  }

  private async killAndWait(rec: ContainerRecord): Promise<void> {
    if (!rec.pid) return;
    const start = procStat(rec.pid)?.startTime;
    if (rec.pidStartTime && start !== rec.pidStartTime) return;
    try {
      process.kill(rec.pid, 'SIGKILL');
    } catch {
      return;
    }
    await this.thaw(rec); // a frozen process dies only once thawed (cgroup v1)
    const dead = () => {
      const st = procStat(rec.pid);
      return !st || st.state === 'Z' || st.startTime !== start;
    };
    if (await pollUntil(dead, 5000)) return;
    throw new HakoError(`container "${rec.id}": process ${rec.pid} did not die after SIGKILL`);
  }

  /** `cgroup`: the handle create used, when it failed: the systemd driver's knows whether the scope
   *  is ours (one whose name was already in use is not). */
  private async destroy(rec: ContainerRecord, opts: { hooks?: boolean; cgroup?: Cgroup } = {}): Promise<void> {
    const state = { ...ociState(this.states, rec), status: 'stopped' as const };
    const cg = opts.cgroup ?? this.cgroupOf(rec);
    if (cg?.exists()) {
      // When init of the container's own PID namespace has exited, the kernel has already killed
      // every other process in it (and nothing can be frozen); otherwise processes may outlive
      // init, and a frozen one cannot die.
      if (!(rec.ownPidNamespace && statusOf(this.states, rec) === 'stopped')) {
        try {
          await cg.thawAsync();
        } catch {
          /* no freezer */
        }
        await cg.killAllAsync(9);
      }
      await pollUntil(() => cg.pids().length === 0, 2000);
    }
    // Also when the directory is gone: a systemd scope's unit can outlive its cgroup (failed after
    // an OOM kill); the cgroupfs drivers ignore missing directories.
    if (cg) {
      await cg.destroyAsync();
      await nextTurn();
    }
    if (rec.hostMounts) detachMountsAbove(rec.hostMounts.rootfs, rec.hostMounts.below);
    this.states.remove(rec.id);
    trace(`delete ${rec.id}: cgroup, mounts and state removed`);
    if (opts.hooks !== false) await runHooksWarning('poststop', rec.hooks?.poststop, state, this.warn);
  }
}

/** The container's plan for hako-init, with the start barrier (mkfifo) made first. */
function createPlan(
  spec: Spec,
  bundle: Bundle,
  c: { fifo: string; forkMode: PlanContext['forkMode']; console: string | undefined; opts: CreateOptions; cgroup: Cgroup | undefined },
): Op[] {
  const { fifo, forkMode, console, opts, cgroup } = c;
  const seccompProfile = spec.linux?.seccomp ? seccompFilter(spec.linux.seccomp) : undefined;
  const ops = compilePlan(spec, {
    rootfs: bundle.rootfs,
    bundle: bundle.dir,
    fifo,
    forkMode,
    syncCreateRuntime: opts.onCreated !== undefined,
    console,
    seccompProfile,
    seccompListener: notifyListener(spec),
    cgroupMounts: cgroup && cgroupMountInfo(cgroup),
    preserveFds: opts.preserveFds && !opts.attached ? { first: PRESERVED_FDS_FIRST, count: opts.preserveFds } : undefined,
  });
  // Root gives the barrier to the container's root; an ordinary user can give it to nobody else
  // (and needs not: the helper opens it before entering the user namespace).
  const own = (maps: IdMapping[] | undefined, self: number) => String(self === 0 ? hostIdOfRoot(maps) : self);
  ops.unshift(op('mkfifo', fifo, own(spec.linux?.uidMappings, process.geteuid!()), own(spec.linux?.gidMappings, process.getegid!())));
  trace('compiled');
  return ops;
}

/** linux.resources as given. The nodes of linux.devices get no rule of their own: as with runc, a
 *  node that linux.resources.devices denies is created but unusable (engines send both). */
function containerResources(spec: Spec): Resources {
  return spec.linux?.resources ?? {};
}

function mergeResources(a: Resources, b: Resources): Resources {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? { ...prev, ...v } : v;
  }
  return out as Resources;
}

/**
 * Rootless without write access to the cgroup tree: like runc, run without a cgroup when the config
 * asks for no limits; with limits, that is an error (they would silently not apply).
 */
function rootlessWithoutCgroups(spec: Spec, cgroupsPath: string): boolean {
  if (process.geteuid!() === 0) return false;
  // v2: the nearest existing cgroup on the way to ours, which is writable when it lies in a subtree
  // delegated to us (the rootless engine puts containers there: src/cgroups/delegation.ts).
  const probe = openCgroup(cgroupsPath).version === 2 ? nearestExisting(path.posix.join('/sys/fs/cgroup', cgroupsPath)) : '/sys/fs/cgroup/pids';
  try {
    fs.accessSync(probe, fs.constants.W_OK);
    return false;
  } catch {
    /* not delegated to us */
  }
  const resources = { ...(spec.linux?.resources ?? {}) };
  delete resources.devices; // device rules need no cgroup when rootless: the user cannot mknod anyway
  if (Object.keys(resources).length) {
    throw new ConfigError('linux.resources', `rootless, and no writable cgroup tree (${probe}): limits cannot be applied`);
  }
  return true;
}

function nearestExisting(dir: string): string {
  while (dir !== '/sys/fs/cgroup' && !fs.existsSync(dir)) dir = path.posix.dirname(dir);
  return dir;
}

/** What the /sys/fs/cgroup mount needs: per v1 hierarchy its directory and mount options, or v2. */
function cgroupMountInfo(cg: Cgroup): CgroupMountInfo {
  if (cg.version === 2) return { version: 2, hierarchies: [], hostPath: cg.dirs()[''] };
  const hierarchies = discoverV1Hierarchies('/sys/fs/cgroup').map((h) => {
    const named = h.controllers.every((c) => c.startsWith('name='));
    return { dir: path.basename(h.mount), data: (named ? ['none', ...h.controllers] : h.controllers).join(','), hostPath: path.join(h.mount, cg.path) };
  });
  return { version: 1, hierarchies };
}

/** The container's cgroup directories on the host, as the /sys/fs/cgroup mount binds them without a
 *  cgroup namespace: '' on v2, the hierarchy's directory name under /sys/fs/cgroup on v1. */
function cgroupBindDirs(cg: Cgroup): Record<string, string> {
  const info = cgroupMountInfo(cg);
  if (info.version === 2) return { '': info.hostPath ?? '' };
  return Object.fromEntries(info.hierarchies.map((h) => [h.dir, h.hostPath]));
}

/** The host id that the container's id 0 maps to (0 without a user namespace). */
function hostIdOfRoot(maps: IdMapping[] | undefined): number {
  const m = (maps ?? []).find((x) => x.containerID <= 0 && x.containerID + x.size > 0);
  return m ? m.hostID - m.containerID : 0;
}

const SECCOMP_CACHE = '/var/cache/hako/seccomp';

/** The filter for hako-init: compiled by libseccomp once per distinct profile and cached (about 9 ms
 *  saved per container for docker's default profile), plain text where the cache is unusable. */
function seccompFilter(seccomp: Seccomp): string | Buffer {
  const text = compileSeccomp(seccomp);
  return cachedSeccompFilter(text, SECCOMP_CACHE, seccompExport);
}

function notifyListener(spec: Spec): string | undefined {
  const seccomp = spec.linux?.seccomp;
  return seccomp && seccompUsesNotify(seccomp) ? seccomp.listenerPath : undefined;
}

/** The message that goes with the notify listener fd (runtime spec, "Container process state"). */
function containerProcessState(spec: Spec, state: State): string {
  return JSON.stringify({
    ociVersion: OCI_VERSION,
    fds: ['seccompFd'],
    pid: state.pid,
    metadata: spec.linux?.seccomp?.listenerMetadata ?? '',
    state,
  });
}

/**
 * While a foreground process runs: signals sent to us are passed to hako-init, which passes them
 * on. Returns the undo.
 */
/**
 * Lets other work of the event loop run between the synchronous steps of a container start (cgroup
 * files, state, spawning hako-init: each a few ms, several times that on a busy machine), so a server
 * embedding the library is never held up for the whole sequence. One turn, no timer: the CLI, with
 * nothing else queued, continues at once.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether the start FIFO holds a byte nobody read (the container wrote it and is gone). */
function byteWaiting(fifo: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    return fs.readSync(fd, Buffer.alloc(1), 0, 1, null) === 1;
  } catch {
    return false; // EAGAIN: nothing was written
  } finally {
    fs.closeSync(fd);
  }
}

/** A foreground monitor (hako-init after its fork) leaves the container's cgroup: it must not count
 *  against the container's limits. It releases the process as soon as it has sent `pid`, so a
 *  process that exits at once can take the monitor with it before we read that line: then there is
 *  nothing left to move (ESRCH). */
function moveMonitorOut(helperPid: number): void {
  try {
    moveToCgroupsOf(helperPid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

function forwardSignals(launched: Launched): () => void {
  const forward = (sig: NodeJS.Signals) => {
    try {
      launched.helper.kill(sig);
    } catch {
      /* exited */
    }
  };
  const forwarded: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
  for (const s of forwarded) process.on(s, forward);
  return () => {
    for (const s of forwarded) process.off(s, forward);
  };
}

/**
 * The terminal's own signals (Ctrl-C, Ctrl-\) reach our whole process group, hako-init's monitor
 * included, which passes them on (the container has a session of its own, so the terminal cannot
 * reach it). A second copy from us would deliver them twice, so we only must not die of them, from
 * before the container process can run: an exec'd process runs, and may be interrupted, before
 * `launch` returns. Returns the undo.
 */
function surviveTerminalSignals(): () => void {
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  return () => {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  };
}

/** A pid file that cannot be written is refused before anything runs (runc finds out only after
 *  the process started, and kills it). */
function checkPidFileDir(file: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new HakoError(`--pid-file ${file}: directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new HakoError(`--pid-file ${file}: ${dir} is not a directory`);
}

function writePidFile(file: string, pid: number): void {
  const tmp = `${file}.tmp${process.pid}`;
  try {
    fs.writeFileSync(tmp, String(pid));
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true }); // `--pid-file /` wrote /.tmpPID before its rename failed
    throw asHakoError(`--pid-file ${file}`, e);
  }
}

/** --debug: the compiled plan, one operation a line (no environment, no filters). */
function debugPlan(what: string, ops: Op[]): void {
  if (!debugEnabled()) return;
  for (const line of describePlan(ops)) logDebug(`${what}: plan: ${line}`);
}

/** Whether `cg` exists and is frozen; no freezer counts as not frozen. */
function isFrozen(cg: Cgroup): boolean {
  try {
    return cg.exists() && cg.state() === 'frozen';
  } catch {
    return false;
  }
}
