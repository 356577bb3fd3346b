// The engine: docker's container lifecycle without a daemon. Every command reads the container store,
// brings each container's recorded state up to date with reality (refresh), acts, and writes back.
// Detached containers live under conmon (monitor.ts); foreground interactive ones under this process.
import type { StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { HakoError } from '../util/errors.js';
import { trace } from '../util/trace.js';
import type { Runtime } from '../runtime/index.js';
import { procStat } from '../util/proc.js';
import { FormatVersionError } from '../util/format-version.js';
import { parseSignal, ROOTFS_MOUNTNS_ANNOTATION } from '../oci/names.js';
import type { DeviceCgroup, Device, Mount, Process } from '../oci/types.js';
import { ContentStore } from '../storage/store/index.js';
import { inspect as inspectImage, type ImageInspect } from '../image/inspect.js';
import { parseReference } from '../oci/image/reference.js';
import { ContainerStore, engineRoot, newId } from './store.js';
import { checkPlatform, type ImagePolicy, mustPull, wantedPlatform } from './image-policy.js';
import { healthOfInspect, startHealthMonitor, stopHealthMonitor } from './health.js';
import { logFiles, startLogRotator, stopLogRotator } from './log-rotate.js';
import { killRecorded, startRemovalGuard } from './helper-process.js';
import { resolveUser } from './user.js';
import { copyFromImage, resolveInRoot } from './in-root.js';
import { ensureRootfsMounted, prepareRootfs, releaseFuseRootfs, rootfsMountpoint } from './rootfs.js';
import { ensureFuseMounted, readFuseMount, rootlessMountProgram } from './rootfs-fuse.js';
import { recordEvent } from './events.js';
import { removeTree } from '../storage/layers/worker.js';
import { applyNamespaceModes, resolveJoins, type JoinTarget, type NamespaceJoin } from './namespace-join.js';
import { Pods, joinPod } from './pods.js';
import { checkStaticAddresses } from './static-address.js';
import {
  ContainerNetworks,
  type NetworkContext,
  checkNetworkNames,
  exposedMappings,
  networkFiles,
  networkSettings,
  planNetwork,
  type NetworkPlan,
} from './network.js';
import { findBin, startConmon, readOr } from './monitor.js';
import { checkRuntimeName, defaultRuntimeName, type OCIRuntime } from './oci-runtime.js';
import { execErrorAsRunc } from './runtime-errors.js';
import { ChangeWaiter, LogFollower, readFrom, tailEntries, parseLog, type LogSink } from './logs.js';
import { randomName } from './names.js';
import { isBuiltinImage } from './builtin-image.js';
import {
  applyRootless,
  checkRootlessLimits,
  isRootless,
  noDelegationReason,
  rootlessCgroupsPath,
  rootlessForExternal,
  sharedPause,
  sharedUserns,
  userMaps,
  type UserMaps,
} from './rootless.js';
import { ENGINE_FAILED, commandStatus, explainExecFailure, execFailure, runFailure } from './exit-codes.js';
import type { ContainerConfig, ContainerState, RunOptions, VolumeSpec } from './types.js';
import type { Spec } from '../oci/types.js';

export const INIT_BINARY = '/usr/bin/catatonit';
const INIT_PATH = '/run/hako-init';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ExecRequest {
  command: string[];
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  /** The process's stdio relayed to these streams instead of this process's own (the Docker API's
   *  exec). With a tty everything arrives on stdout. `stdin` is read when `interactive`. */
  io?: ExecStreams;
}

export interface ExecStreams {
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Where the engine's foreground output goes; the library itself writes nothing to the process's
 *  stdout (the CLI passes its streams: src/cli/engine/common.ts). */
export interface EngineOutput {
  /** The container's output for `run` in the foreground and `start -a`; default: dropped. */
  container?: LogSink;
  /** `Unable to find image …` and the pull's progress when `run`/`create` pulls; default: none. */
  progress?: NodeJS.WritableStream;
}

export class Engine {
  readonly root: string;
  readonly store: ContainerStore;
  /** hako's own runtime (the library), the default behind OCIRuntime: loaded on first use (hakoRuntime),
   *  so that the commands that only read the store (ps, inspect, logs) do not load the runtime. */
  private runtime?: Runtime;
  /** Networks and each container's network namespace (network.ts). */
  readonly networks: ContainerNetworks;
  private imageStore?: ContentStore;
  private readonly runtimes = new Map<string, OCIRuntime>();
  /** Warnings (a network that would not come down, a rootfs left mounted): the text after `hako: `. */
  private readonly warn: (message: string) => void;
  private readonly output: EngineOutput;

  constructor(opts: { root?: string; output?: EngineOutput; onWarning?: (message: string) => void } = {}) {
    this.root = engineRoot(opts.root);
    this.output = opts.output ?? {};
    this.warn = opts.onWarning ?? (() => {});
    this.store = new ContainerStore(this.root, this.warn);
    // Rootless, the runtime state root is checked (and made private) by every command, not only
    // those that load the runtime: a /tmp/hako-$UID someone else made is refused at once.
    if (isRootless()) this.store.runtimeRoot();
    this.networks = new ContainerNetworks(this.root, (id) => {
      try {
        return { name: this.store.readConfig(id).name, dir: this.store.containerDir(id) };
      } catch {
        return undefined;
      }
    });
  }

  get images(): ContentStore {
    return (this.imageStore ??= new ContentStore(this.root));
  }

  /** hako's own runtime on the engine's runtime root. */
  async hakoRuntime(): Promise<Runtime> {
    if (!this.runtime) {
      const { Runtime } = await import('../runtime/index.js');
      this.runtime ??= new Runtime({ root: this.store.runtimeRoot(), onWarning: this.warn });
    }
    return this.runtime;
  }

  /** The OCI runtime a container was created with (`hako` for containers that recorded none). */
  runtimeFor(id: string): Promise<OCIRuntime> {
    return this.runtimeNamed(this.store.readConfig(id).runtime ?? 'hako');
  }

  private async runtimeNamed(name: string): Promise<OCIRuntime> {
    let rt = this.runtimes.get(name);
    if (!rt) {
      // Each external runtime keeps its state beside hako's: <runtime root>-runc, -crun, -<basename>.
      if (name === 'hako') rt = new (await import('./runtime-hako.js')).HakoRuntime(await this.hakoRuntime());
      else rt = new (await import('./runtime-external.js')).ExternalRuntime(name, `${this.store.runtimeRoot()}-${path.basename(name)}`);
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  // ---- create / run / start ----

  /** Resolves the image (pulling it when absent), prepares rootfs and bundle, records the container.
   *  With --pod, first the pod's namespaces (a pod made by `new:NAME` is removed again on a failure). */
  async create(opts: RunOptions): Promise<ContainerConfig> {
    if (!opts.pod) return this.createContainer(opts);
    const undo = await joinPod(new Pods(this), opts);
    try {
      return await this.createContainer(opts);
    } catch (e) {
      await undo().catch(() => {});
      throw e;
    }
  }

  private async createContainer(opts: RunOptions): Promise<ContainerConfig> {
    if (opts.name && new Pods(this).named(opts.name)) throw new HakoError(`the container name "/${opts.name}" is already in use by a pod`);
    const net = planNetwork(opts.network, opts.publish, this.networks.store, this.joinLookup);
    checkNetworkNames(net, opts);
    checkStaticAddresses(net, opts, this.networks.store);
    const runtime = checkRuntimeName(opts.runtime ?? defaultRuntimeName(this.root));
    const maps = isRootless() ? rootlessMaps(opts, net.mode, runtime) : undefined;
    if (opts.init && !fs.existsSync(INIT_BINARY)) throw new HakoError(`--init needs ${INIT_BINARY} (Debian package catatonit), which is not installed`);
    const image = await this.imageFor(opts.image, opts);
    trace('engine image resolved');
    // The spec's defaults (docker's capabilities and seccomp profile) load with the first create.
    const { buildSpec, combineCommand, stopSignalFor } = await import('./spec.js');
    const args = combineCommand(image.config, opts.entrypoint, opts.command);
    opts.stopSignal = stopSignalFor(opts.stopSignal, image.config);
    const id = newId();
    const name = opts.name ?? this.freeName();
    const cfg: ContainerConfig = {
      id,
      name,
      created: new Date().toISOString(),
      image: opts.image,
      imageId: image.id,
      imageRef: image.reference,
      options: opts,
      path: args[0],
      args: args.slice(1),
      runtime,
      exposedPorts: [...new Set([...Object.keys(image.config.ExposedPorts ?? {}), ...(opts.expose ?? [])])],
    };
    if (opts.publishAll) exposedMappings(cfg.exposedPorts ?? []); // bad image ports fail here, not at start
    this.store.create(cfg);
    recordEvent(this.root, 'container', 'create', id, { image: cfg.image, name: cfg.name });
    try {
      const dir = this.store.containerDir(id);
      // fuse-overlayfs mounts in the shared namespace's holder: a container with a user namespace
      // of its own (keep-id, runc, crun) gets a copy instead, as with runc and crun already.
      const mountProgram = maps ? rootlessMountProgram() : undefined;
      const ownUserns = opts.userns === 'keep-id' || runtime !== 'hako';
      const copy = Boolean(maps) && (runtime !== 'hako' || (ownUserns && Boolean(mountProgram)));
      const { rootfs, layerDirs, inContainer, fuse } = await prepareRootfs(this.images, image.layers, dir, { copy, mountProgram });
      const layered = Boolean(inContainer || fuse); // not mounted on the host
      trace('engine rootfs prepared');
      const hostname = opts.hostname ?? (net.mode === 'host' ? os.hostname() : id.slice(0, 12));
      const mounts = [...this.volumeMounts(cfg, layered ? [...layerDirs].reverse() : rootfs), ...networkFiles(net, path.join(dir, 'etc'), hostname, opts)];
      let procArgs = args;
      if (opts.init) {
        mounts.push({ destination: INIT_PATH, type: 'bind', source: INIT_BINARY, options: ['bind', 'ro'] });
        procArgs = [INIT_PATH, '--', ...args];
      }
      const spec = buildSpec({
        opts,
        image: image.config,
        args: procArgs,
        hostname,
        // Rootless, the overlay is mounted only inside the container: the image's files are read
        // from its layers, top first.
        rootfs: layered ? [...layerDirs].reverse() : rootfs,
        extraMounts: mounts,
        netns: this.networks.specNetns(net, id),
        cgroupsPath: maps ? rootlessCgroupsPath(id) : `/hako/${id}`,
        devices: opts.privileged ? [] : opts.devices.map((d) => hostDevice(d.host, d.container, d.permissions)),
      });
      applyNamespaceModes(spec, opts);
      spec.annotations = { 'org.hako.name': name, 'org.hako.image': image.reference };
      // runc and crun make the user namespace from the maps themselves: theirs is their own.
      if (maps) applyRootless(spec, maps, inContainer, ownUserns ? undefined : await sharedUserns());
      if (fuse) spec.annotations[ROOTFS_MOUNTNS_ANNOTATION] = (await sharedPause()).mntns; // pointUserns: at each start
      if (maps && runtime !== 'hako') rootlessForExternal(spec);
      // runc and crun want the root as a path without symlinks (bundle/rootfs is one).
      if (runtime !== 'hako') spec.root = { ...spec.root, path: fs.realpathSync(rootfs) };
      fs.writeFileSync(path.join(this.store.bundleDir(id), 'config.json'), JSON.stringify(spec, null, 2));
      this.store.writeState(id, { status: 'created', pid: 0, exitCode: 0, restartCount: 0 });
      trace('engine created');
      return cfg;
    } catch (e) {
      await this.destroy(cfg);
      throw e;
    }
  }

  /** `run`: create, then start detached (printing nothing) or in the foreground (returns the exit code). */
  /** Failures exit as docker's `run` (exit-codes.ts): 126/127 when the command cannot be run, else 125. */
  async run(opts: RunOptions, onCreated?: (cfg: ContainerConfig) => void): Promise<number> {
    try {
      const cfg = await this.create(opts);
      onCreated?.(cfg);
      if (opts.detach) {
        try {
          await this.startDetached(cfg.id);
        } catch (e) {
          if (opts.rm) await this.remove(cfg.id, { force: true, volumes: true }).catch(() => {});
          throw e;
        }
        return 0;
      }
      if (opts.interactive || opts.tty) return await this.runInteractive(cfg);
      return await this.runAttached(cfg);
    } catch (e) {
      throw runFailure(e);
    }
  }

  /** `start` of a created or exited container: detached under conmon. */
  async start(ref: string): Promise<string> {
    const id = this.store.resolve(ref);
    await this.store.lock(id, async () => {
      const st = await this.refresh(id);
      if (st.status === 'running') return;
      st.restartCount = 0;
      st.stopRequested = false;
      st.paused = false;
      this.store.writeState(id, st);
      await this.startDetached(id);
    });
    return id;
  }

  /** `start -a`: start, then stream the output produced from now on until the exit; the exit code. */
  async startAttached(ref: string): Promise<number> {
    const id = this.store.resolve(ref);
    let offset = 0;
    try {
      offset = fs.statSync(this.store.logPath(id)).size;
    } catch {
      /* no log yet */
    }
    await this.start(id);
    await this.followLogOf(id, offset, this.containerSink());
    return (await this.refresh(id)).exitCode;
  }

  /** Starts the container under conmon. `foreground`: this process follows it to its exit and handles
   *  that itself (see runAttached), so conmon's exit command only runs if we are gone by then. */
  /** A start that failed: the container is exited with the reason as its error. */
  private markStartFailed(id: string, prev: ContainerState, e: unknown): void {
    this.store.writeState(id, {
      ...prev,
      status: 'exited',
      pid: 0,
      exitCode: startFailureStatus(e),
      error: (e as Error).message,
      finishedAt: new Date().toISOString(),
    });
  }

  private async startDetached(id: string, foreground = false, restoreFrom?: string): Promise<void> {
    await this.store.lock(id, async () => {
      const cfg = this.store.readConfig(id);
      const runtime = await this.runtimeFor(id);
      await this.cleanupRuntime(id);
      fs.rmSync(path.join(this.store.exitDir(id), id), { force: true });
      const prev = this.store.readState(id);
      try {
        ensureRootfsMounted(this.store.containerDir(id)); // gone after a reboot
        await this.setUpNetwork(cfg);
        trace('engine network set up');
      } catch (e) {
        this.markStartFailed(id, prev, e);
        throw e;
      }
      const started = await this.launchUnderConmon(cfg, runtime, prev, { foreground, restoreFrom });
      trace('engine conmon reported');
      const st: ContainerState = {
        ...prev,
        status: 'running',
        pid: started.pid,
        pidStartTime: procStat(started.pid)?.startTime,
        monitorPid: started.conmonPid,
        monitorStartTime: procStat(started.conmonPid)?.startTime,
        exitCode: 0,
        startedAt: new Date().toISOString(),
        finishedAt: undefined,
        error: undefined,
        oomKilled: undefined,
      };
      this.store.writeState(id, st);
      const logFile = this.store.logPath(id);
      startLogRotator([findBin('hako'), '--root', this.root], this.store.containerDir(id), logFile, cfg.options.logMaxFile, started.conmonPid);
      if (restoreFrom) {
        this.event(id, 'restore');
        return;
      }
      await this.startCreated(id, runtime, st);
    });
  }

  /** conmon runs the runtime's create (or restore) and stays as the container's monitor. On a
   *  failure the start is recorded as failed and the network torn down again. */
  private async launchUnderConmon(
    cfg: ContainerConfig,
    runtime: OCIRuntime,
    prev: ContainerState,
    o: { foreground: boolean; restoreFrom?: string },
  ): Promise<Awaited<ReturnType<typeof startConmon>>> {
    const id = cfg.id;
    let session: Awaited<ReturnType<OCIRuntime['beginCreate']>> | undefined;
    try {
      // hako's create is answered by this process (runtime-hako.ts). The kernel's wait before the
      // first cgroup migration (src/cgroups/prime.ts) passes while conmon starts.
      // A restore (checkpoint.ts) is the runtime's `restore` run by conmon, which gets it running.
      session = o.restoreFrom ? await runtime.beginRestore(id) : await runtime.beginCreate(id);
      if (runtime.name === 'hako' && !o.restoreFrom) void primeCgroups();
      const started = await startConmon({
        id,
        name: cfg.name,
        bundle: this.store.bundleDir(id),
        runtimeRoot: this.store.runtimeRoot(),
        engineRoot: this.root,
        containerDir: this.store.containerDir(id),
        logPath: this.store.logPath(id),
        // A foreground run follows the log for its output, so only a detached one drops it.
        logDriver: cfg.options.logDriver === 'none' && !o.foreground ? 'none' : 'k8s-file',
        logSizeMax: cfg.options.logMaxSize,
        exitDir: this.store.exitDir(id),
        tty: cfg.options.tty,
        stdin: cfg.options.interactive,
        exitHandledBy: o.foreground && handlesOwnExit(cfg) ? thisProcess() : undefined,
        runtime: session.conmon,
        restoreFrom: o.restoreFrom,
      }).catch(async (e: Error) => {
        // The runtime's own reason beats conmon's summary of it.
        if (session?.hasOwnError()) await session.created;
        throw e;
      });
      await session.created;
      return started;
    } catch (err) {
      const e = this.sayWhyNotExecutable(id, runtime.name === 'hako' ? err : asRuncExecError(err, this.runtimeCommand(id)));
      this.markStartFailed(id, prev, e);
      await this.tearDownNetwork(id).catch(() => {});
      throw e;
    } finally {
      session?.close();
    }
  }

  /** The runtime's `start` of a created container (a user-mode network first, when rootless); on a
   *  failure the container is killed and recorded as exited (conmon's exit command tears down). */
  private async startCreated(id: string, runtime: OCIRuntime, st: ContainerState): Promise<void> {
    try {
      await this.networks.startUserMode(id, this.store.containerDir(id), st.pid);
      await runtime.start(id);
      trace('engine started');
      this.event(id, 'start');
      startHealthMonitor(this, id); // the image's HEALTHCHECK or --health-cmd (health-check.ts)
    } catch (e) {
      await this.kill(id, 'SIGKILL', { quiet: true });
      this.store.writeState(id, {
        ...st,
        status: 'exited',
        exitCode: startFailureStatus(e),
        error: (e as Error).message,
        finishedAt: new Date().toISOString(),
      });
      throw e; // conmon's exit command tears the network down
    }
  }

  /** Restores a checkpointed container (checkpoint.ts) from its images under conmon, detached. */
  async startRestored(id: string, imagePath: string): Promise<void> {
    await this.startDetached(id, false, imagePath);
  }

  /** Foreground without a terminal: the container runs under conmon like a detached one; we follow
   *  its log to our stdout/stderr, pass on SIGINT/SIGTERM, and return its exit code. Without a restart
   *  policy we also do the exit command's work (network, --rm) ourselves: conmon skips it while we
   *  live, so we need not wait for a Node process to start just for that. */
  private async runAttached(cfg: ContainerConfig): Promise<number> {
    const id = cfg.id;
    const forward = (sig: NodeJS.Signals) => {
      this.kill(id, sig, { quiet: true }).catch(() => {
        /* gone */
      });
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    try {
      try {
        await this.startDetached(id, true);
      } catch (e) {
        if (cfg.options.rm) await this.remove(id, { force: true, volumes: true }).catch(() => {});
        else if (handlesOwnExit(cfg)) await this.containerExited(id).catch(() => {});
        throw e;
      }
      await this.followLogOf(id, 0, this.containerSink());
      trace('engine exit seen');
      const code = (await this.refresh(id)).exitCode;
      if (cfg.options.rm) await this.remove(id, { force: true, volumes: true });
      else if (handlesOwnExit(cfg)) await this.containerExited(id); // what conmon's exit command skipped
      trace('engine removed');
      return code;
    } finally {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    }
  }

  /** Foreground with -i/-t: this process is the monitor; the runtime relays the terminal (raw mode,
   *  window size) or passes our stdin through. */
  private async runInteractive(cfg: ContainerConfig): Promise<number> {
    const id = cfg.id;
    const runtime = await this.runtimeFor(id);
    await this.cleanupRuntime(id);
    try {
      await this.store.lock(id, () => this.setUpNetwork(cfg));
    } catch (e) {
      this.markStartFailed(id, this.store.readState(id), e);
      if (cfg.options.rm) await this.remove(id, { force: true, volumes: true }).catch(() => {});
      throw e;
    }
    this.store.writeState(id, {
      status: 'running',
      pid: 0,
      exitCode: 0,
      restartCount: 0,
      startedAt: new Date().toISOString(),
      monitorPid: process.pid,
      monitorStartTime: procStat(process.pid)?.startTime,
    });
    this.event(id, 'start');
    // This process is the monitor: the checks' scheduler ends with it, or at the exit below; with
    // --rm, a guard removes the container should this process die first (helper-process.ts).
    startHealthMonitor(this, id);
    if (cfg.options.rm) startRemovalGuard(this.removalGuardFile(id), process.pid, [findBin('hako'), '--root', this.root, 'rm', '-f', '-v', id]);
    ensureRootfsMounted(this.store.containerDir(id));
    let code: number;
    let stopPid = false;
    const recordPid = this.recordPidOnceRunning(id, runtime, () => stopPid);
    try {
      code = await runtime.run(id, this.store.bundleDir(id), { interactive: cfg.options.interactive, onCreated: this.userModeStarter(id) });
    } catch (err) {
      const e = this.sayWhyNotExecutable(id, err);
      stopPid = true;
      stopHealthMonitor(this, id);
      await recordPid;
      await this.store.lock(id, () => this.markStartFailed(id, this.store.readState(id), e));
      await this.store.lock(id, () => this.tearDownNetwork(id)).catch(() => {});
      if (cfg.options.rm) await this.remove(id, { force: true, volumes: true }).catch(() => {});
      throw e;
    }
    stopPid = true;
    stopHealthMonitor(this, id);
    await recordPid;
    // No conmon to mark an OOM kill here: the cgroup (kept until cleanupRuntime) counts them.
    const oomKilled = (await oomKillsIn(id)) > 0 || undefined;
    await this.store.lock(id, async () => {
      this.store.writeState(id, { ...this.store.readState(id), status: 'exited', pid: 0, exitCode: code, oomKilled, finishedAt: new Date().toISOString() });
      this.event(id, 'die', { exitCode: String(code) });
      await this.cleanupRuntime(id);
    });
    await this.store.lock(id, () => this.tearDownNetwork(id)).catch((e: Error) => this.warn(`warning: ${e.message}`));
    if (cfg.options.rm) await this.remove(id, { force: true, volumes: true });
    return code;
  }

  private removalGuardFile(id: string): string {
    return path.join(this.store.containerDir(id), 'rm-guard.pid');
  }

  /** Polls the runtime until the container runs, then records its pid (or until `stop()`). */
  private async recordPidOnceRunning(id: string, runtime: OCIRuntime, stop: () => boolean): Promise<void> {
    while (!stop()) {
      try {
        const s = await runtime.state(id);
        if (s.pid && s.status === 'running') {
          await this.store.lock(id, () => this.store.writeState(id, { ...this.store.readState(id), pid: s.pid!, pidStartTime: procStat(s.pid!)?.startTime }));
          return;
        }
      } catch {
        /* not yet */
      }
      await sleep(10);
    }
  }

  /** conmon's exit command: records the exit and applies the restart policy (or --rm). */
  async containerExited(id: string): Promise<void> {
    trace('engine exit command');
    let cfg: ContainerConfig;
    try {
      cfg = this.store.readConfig(id);
    } catch {
      return; // removed meanwhile (rm -f)
    }
    let restart = false;
    let delay = 0;
    await this.store.lock(id, async () => {
      const st = await this.refresh(id);
      if (st.status !== 'exited' || st.stopRequested) return;
      const p = cfg.options.restart;
      restart =
        p.name === 'always' ||
        p.name === 'unless-stopped' ||
        (p.name === 'on-failure' && st.exitCode !== 0 && (p.maximumRetryCount === 0 || st.restartCount < p.maximumRetryCount));
      if (restart) {
        delay = Math.min(100 * 2 ** st.restartCount, 10_000); // docker's back-off, doubling from 100 ms
        st.restartCount++;
        st.status = 'restarting';
        st.monitorPid = process.pid;
        st.monitorStartTime = procStat(process.pid)?.startTime;
        this.store.writeState(id, st);
      }
    });
    if (!restart) {
      // Not coming back (or stopped): release its address, ports and namespace now, as docker does.
      await this.store
        .lock(id, async () => {
          const st = this.store.readState(id);
          if (st.status === 'running' || st.status === 'restarting') return;
          await this.tearDownNetwork(id);
        })
        .catch((e: Error) => this.warn(e.message));
    }
    if (restart) {
      await sleep(delay);
      await this.store.lock(id, async () => {
        const st = this.store.readState(id);
        if (st.status !== 'restarting' || st.stopRequested) return;
        await this.startDetached(id);
      });
    } else if (cfg.options.rm) {
      // -d --rm, and a foreground --rm whose `hako` died first (closed terminal, SIGKILL).
      await this.remove(id, { force: true, volumes: true }).catch(() => {});
    }
    trace('engine exit command done');
  }

  // ---- state ----

  /**
   * Brings the recorded state up to date: a running container whose exit conmon recorded, or whose
   * process and monitor are both gone (killed monitor, host reboot), is exited. Its runtime state is
   * then deleted, so it can be started again.
   */
  async refresh(id: string): Promise<ContainerState> {
    const st = this.store.readState(id);
    const monitorAlive = !!st.monitorPid && sameProcess(st.monitorPid, st.monitorStartTime);
    if (st.status === 'restarting') {
      // The exit command waits out the back-off before restarting; if it died meanwhile, the restart is off.
      if (monitorAlive) return st;
      return this.store.lock(id, () => {
        const cur = this.store.readState(id);
        if (cur.status !== 'restarting' || (cur.monitorPid && sameProcess(cur.monitorPid, cur.monitorStartTime))) return cur;
        const next: ContainerState = { ...cur, status: 'exited' };
        this.store.writeState(id, next);
        return next;
      });
    }
    if (st.status !== 'running') return st;
    const exitFile = path.join(this.store.exitDir(id), id);
    const hasExit = fs.existsSync(exitFile);
    if (!hasExit) {
      const pidAlive = st.pid > 0 && sameProcess(st.pid, st.pidStartTime);
      if (pidAlive || monitorAlive) return st;
    }
    return this.store.lock(id, async () => {
      const cur = this.store.readState(id);
      if (cur.status !== 'running' || cur.startedAt !== st.startedAt) return cur;
      // Without conmon's record (monitor killed, host rebooted) the code is unknown: 255, like docker.
      const code = hasExit ? Number(readOr(exitFile, '255')) : 255;
      let finished = new Date().toISOString();
      try {
        if (hasExit) finished = fs.statSync(exitFile).mtime.toISOString();
      } catch {
        /* raced */
      }
      // conmon's mark of an OOM kill in the container's cgroup (see startConmon), for inspect's OOMKilled.
      const oomFile = path.join(this.store.containerDir(id), 'oom');
      const oomKilled = fs.existsSync(oomFile) || undefined;
      fs.rmSync(oomFile, { force: true });
      const next: ContainerState = { ...cur, status: 'exited', pid: 0, exitCode: Number.isFinite(code) ? code : 255, finishedAt: finished, oomKilled };
      this.store.writeState(id, next);
      this.event(id, 'die', { exitCode: String(next.exitCode) });
      await this.cleanupRuntime(id);
      return next;
    });
  }

  /** Deletes the OCI runtime's record of the container (and with it, once the runtime manages
   *  cgroups, the cgroup). A missing record is fine. */
  private async cleanupRuntime(id: string): Promise<void> {
    try {
      await (await this.runtimeFor(id)).delete(id);
    } catch (e) {
      if (!/does not exist/.test((e as Error).message)) this.warn(`warning: ${(e as Error).message}`);
    }
  }

  async list(): Promise<{ config: ContainerConfig; state: ContainerState }[]> {
    const out: { config: ContainerConfig; state: ContainerState }[] = [];
    for (const id of this.store.ids()) {
      try {
        out.push({ config: this.store.readConfig(id), state: await this.refresh(id) });
      } catch (e) {
        if (e instanceof FormatVersionError) throw e; // a record this hako cannot read is not "gone"
        /* removed meanwhile */
      }
    }
    return out.sort((a, b) => b.config.created.localeCompare(a.config.created));
  }

  // ---- stop / kill / rm / wait ----

  async kill(ref: string, signal: string = 'SIGKILL', opts: { quiet?: boolean; requested?: boolean } = {}): Promise<void> {
    const id = this.store.resolve(ref);
    const sig = parseSignal(signal);
    const st = await this.refresh(id);
    if (st.status !== 'running') {
      if (opts.quiet) return;
      throw new HakoError(`cannot kill container ${ref}: container ${id.slice(0, 12)} is not running`);
    }
    if (opts.requested) await this.store.lock(id, () => this.store.writeState(id, { ...this.store.readState(id), stopRequested: true }));
    await this.thawIfPaused(id);
    this.event(id, 'kill', { signal: String(sig) });
    try {
      await (await this.runtimeFor(id)).kill(id, sig);
    } catch (e) {
      // Without runtime state (a foreground container still starting) signal the recorded pid.
      if (st.pid && sameProcess(st.pid, st.pidStartTime)) process.kill(st.pid, sig);
      else if (!opts.quiet) throw e;
    }
  }

  /** Records a container event (events.ts) with docker's attributes: image and name. */
  event(id: string, action: string, extra: Record<string, string> = {}): void {
    let attrs: Record<string, string> = {};
    try {
      const cfg = this.store.readConfig(id);
      attrs = { image: cfg.image, name: cfg.name };
    } catch {
      /* gone */
    }
    recordEvent(this.root, 'container', action, id, { ...attrs, ...extra });
  }

  /** A paused container is thawed before it is signalled (stop, kill, rm -f): frozen, it could not
   *  act on the signal, and SIGKILL would wait for the thaw. */
  private async thawIfPaused(id: string): Promise<void> {
    if (!this.store.readState(id).paused) return;
    try {
      await (await this.runtimeFor(id)).resume(id); // runc's or crun's, for their containers
    } catch {
      /* not frozen any more */
    }
    await this.store.lock(id, () => this.store.writeState(id, { ...this.store.readState(id), paused: false }));
  }

  /** docker stop: the stop signal (`signal`, docker 23's `stop -s`, else the container's), then
   *  SIGKILL after `timeout` seconds; a restart policy does not apply. */
  async stop(ref: string, timeout?: number, signal?: string): Promise<string> {
    if (signal !== undefined) parseSignal(signal); // a bad name fails before anything is signalled
    const id = this.store.resolve(ref);
    const cfg = this.store.readConfig(id);
    const st = await this.refresh(id);
    if (st.status === 'restarting') {
      await this.store.lock(id, () => this.store.writeState(id, { ...this.store.readState(id), status: 'exited', stopRequested: true }));
      return id;
    }
    if (st.status !== 'running') return id;
    const t = timeout ?? cfg.options.stopTimeout ?? 10;
    await this.kill(id, signal ?? cfg.options.stopSignal ?? 'SIGTERM', { quiet: true, requested: true });
    if (await this.waitExited(id, t < 0 ? Infinity : t * 1000)) return id;
    await this.kill(id, 'SIGKILL', { quiet: true, requested: true });
    if (!(await this.waitExited(id, 30_000))) throw new HakoError(`container ${ref} did not exit after SIGKILL`);
    return id;
  }

  /** Waits (bounded) for conmon to finish: it runs our exit command, which needs the container's
   *  files, so removing them under it would leave a half-handled exit. */
  private async waitMonitor(id: string): Promise<void> {
    const st = this.store.readState(id);
    if (!st.monitorPid || st.monitorPid === process.pid) return;
    // conmon's exit command (`run -d --rm`) is conmon's child: conmon waits for it, not the reverse.
    if (isAncestor(st.monitorPid)) return;
    const end = Date.now() + 15_000;
    while (sameProcess(st.monitorPid, st.monitorStartTime) && Date.now() < end) await sleep(10);
  }

  private async waitExited(id: string, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      const s = (await this.refresh(id)).status;
      if (s === 'exited' || s === 'created') return true;
      if (Date.now() > end) return false;
      await sleep(20);
    }
  }

  /** `wait`: blocks until the container exits and returns its exit code. docker's conditions (the
   *  API's): `not-running` (default: returns at once for a stopped container), `next-exit` (the
   *  next exit from now, also of a container not started yet), `removed` (its removal). `signal`
   *  gives up (the caller went away): the code so far. */
  async wait(ref: string, opts: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal } = {}): Promise<number> {
    const id = this.store.resolve(ref);
    const condition = opts.condition ?? 'not-running';
    const first = this.store.readState(id);
    let last = first.exitCode;
    for (;;) {
      let st: ContainerState;
      try {
        st = await this.refresh(id);
      } catch {
        if (condition !== 'not-running') return last; // removed on its exit (--rm): that was the exit
        throw new HakoError(`no such container: ${ref}`);
      }
      last = st.exitCode;
      const stopped = st.status === 'exited' || (st.status === 'created' && !st.startedAt);
      if (condition === 'not-running' && stopped) return st.exitCode;
      if (condition === 'next-exit' && st.status === 'exited' && st.finishedAt !== first.finishedAt) return st.exitCode;
      if (opts.signal?.aborted) return last;
      await sleep(50);
    }
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const id = this.store.resolve(ref);
    const cfg = this.store.readConfig(id);
    const pod = cfg.options.infraOf;
    if (pod && new Pods(this).exists(pod))
      throw new HakoError(`cannot remove container "${cfg.name}": it is the infra container of pod ${pod.slice(0, 12)}: remove the pod (hako pod rm)`);
    const st = await this.refresh(id);
    if (st.status === 'running' || st.status === 'restarting') {
      if (!opts.force)
        throw new HakoError(`cannot remove container "${cfg.name}": container is ${st.status}: stop the container before removing or force remove`);
      await this.store.lock(id, () => this.store.writeState(id, { ...this.store.readState(id), stopRequested: true }));
      if (st.status === 'running') {
        await this.kill(id, 'SIGKILL', { quiet: true, requested: true });
        if (!(await this.waitExited(id, 30_000))) throw new HakoError(`container ${ref} did not exit after SIGKILL`);
      }
    }
    await this.waitMonitor(id);
    trace('engine monitor gone');
    let removedByOther = false;
    await this.store.lock(id, async () => {
      // Two removers (a failed `run -d --rm` and conmon's exit command) must not destroy the same
      // files at once: the second waits for the first, unless that one died on the way.
      const cur = this.store.readState(id);
      if (cur.status === 'removing' && cur.removerPid && cur.removerPid !== process.pid && sameProcess(cur.removerPid, cur.removerStartTime)) {
        removedByOther = true;
        return;
      }
      this.store.writeState(id, { ...cur, status: 'removing', removerPid: process.pid, removerStartTime: procStat(process.pid)?.startTime });
      try {
        await this.tearDownNetwork(id);
      } catch (e) {
        if (!opts.force) throw new HakoError(`cannot remove container "${cfg.name}": ${(e as Error).message}`);
        this.warn(`warning: ${(e as Error).message}`);
      }
    });
    if (removedByOther) {
      const end = Date.now() + 30_000;
      while (fs.existsSync(this.store.containerDir(id)) && Date.now() < end) await sleep(20);
      return id;
    }
    await this.destroy(cfg, opts.volumes);
    return id;
  }

  /** Removes everything of a container: runtime state, rootfs, its directory, its name. */
  private async destroy(cfg: ContainerConfig, volumes = false): Promise<void> {
    stopHealthMonitor(this, cfg.id);
    stopLogRotator(this.store.containerDir(cfg.id));
    killRecorded(this.removalGuardFile(cfg.id));
    await this.cleanupRuntime(cfg.id);
    const dir = this.store.containerDir(cfg.id);
    if (volumes) {
      for (const v of cfg.options.volumes) {
        // what the container wrote: any depth, any symlinks (removeTree: iterative, never follows)
        if (v.type === 'volume' && v.source.startsWith('anon-')) removeTree(path.join(this.root, 'volumes', v.source));
      }
    }
    // One run of the removal worker (a process start) detaches the root filesystem and removes the
    // whole directory with it, instead of umount, rmtree fs/, rmtree bundle/rootfs, rmtree dir.
    releaseFuseRootfs(dir); // rootless fuse-overlayfs: its mount and daemon live in the holder
    this.store.remove(cfg.id, cfg.name, [rootfsMountpoint(dir)]);
    recordEvent(this.root, 'container', 'destroy', cfg.id, { image: cfg.image, name: cfg.name });
  }

  // ---- logs / exec / top / inspect ----

  async logs(ref: string, opts: LogOptions, sink: LogSink): Promise<void> {
    const id = this.store.resolve(ref);
    if (this.store.readConfig(id).options.logDriver === 'none') throw new HakoError('configured logging driver does not support reading');
    const file = this.store.logPath(id);
    // --log-opt max-file: the rotated files first, oldest first (log-rotate.ts).
    const older = logFiles(file)
      .slice(0, -1)
      .flatMap((f) => parseLog(readOr(f, '')));
    const { entries, offset } = readFrom(file, 0);
    const out = timeWindowSink(sink, opts);
    for (const e of tailEntries([...older, ...entries], opts.tail ?? -1)) out.write(e);
    if (opts.follow) await this.followLogOf(id, offset, out, { signal: opts.signal, until: opts.until });
  }

  /** Where the log ends now: followLog from here sees only what is written later (attach). */
  logEnd(ref: string): number {
    try {
      return fs.statSync(this.store.logPath(this.store.resolve(ref))).size;
    } catch {
      return 0;
    }
  }

  /** Streams new log entries from `offset` until the container has exited (then drains what is
   *  left), or `signal` aborts (the reader went away). */
  async followLog(ref: string, offset: number, sink: LogSink, signal?: AbortSignal): Promise<void> {
    return this.followLogOf(this.store.resolve(ref), offset, sink, { signal });
  }

  /** followLog; with `until` (ms since the epoch) it also ends once that time has passed (docker's
   *  `logs -f --until`). */
  private async followLogOf(id: string, offset: number, sink: LogSink, end: { signal?: AbortSignal; until?: number } = {}): Promise<void> {
    const log = new LogFollower(this.store.logPath(id), offset);
    // New output (in the log's directory: conmon may replace the file) and the exit file wake us at
    // once; the poll stays for what inotify cannot see (a monitor killed without an exit file).
    const changes = new ChangeWaiter([path.dirname(this.store.logPath(id)), this.store.exitDir(id)]);
    try {
      for (;;) {
        let status: string;
        try {
          status = (await this.refresh(id)).status;
        } catch {
          status = 'exited'; // removed (run -d --rm)
        }
        const entries = log.read();
        for (const e of entries) sink.write(e);
        // conmon writes the exit file after the last output: one more read gets everything.
        if (status === 'exited' || status === 'created' || (end.until !== undefined && Date.now() > end.until)) {
          for (const e of log.read()) sink.write(e);
          return;
        }
        if (end.signal?.aborted) return;
        const left = end.until === undefined ? 50 : Math.max(1, Math.min(50, end.until - Date.now() + 1));
        await changes.sleep(entries.length ? 0 : left);
      }
    } finally {
      changes.close();
      log.close();
    }
  }

  /** All log entries (tests and `inspect`). */
  readLog(ref: string): ReturnType<typeof parseLog> {
    const id = this.store.resolve(ref);
    return parseLog(readOr(this.store.logPath(id), ''));
  }

  async exec(ref: string, req: ExecRequest): Promise<number> {
    const id = this.store.resolve(ref);
    const st = await this.refresh(id);
    if (st.status !== 'running') throw new HakoError(`container ${id.slice(0, 12)} is not running`);
    if (!req.command.length) throw new HakoError('exec: a command is required');
    const runtime = await this.runtimeFor(id);
    const { mergeEnv } = await import('./spec.js');
    const spec = runtime.spec(id, this.store.bundleDir(id));
    const base = spec.process!;
    const rootfs = this.store.rootfs(id);
    const proc: Process = {
      ...structuredClone(base),
      args: req.command,
      terminal: Boolean(req.tty),
      env: mergeEnv(base.env ?? [], req.env ?? [], { hostname: spec.hostname ?? '', tty: Boolean(req.tty) }),
      cwd: req.workdir ?? base.cwd,
      user: req.user ? resolveUser(req.user, rootfs) : base.user,
    };
    delete proc.consoleSize;
    if (req.privileged) {
      const all = base.capabilities?.bounding ?? [];
      proc.capabilities = { bounding: all, effective: all, permitted: all };
    }
    const own = req.detach ? 'ignore' : 'inherit';
    const relay = req.io && !req.detach ? relayExecStdio(req.io, Boolean(req.interactive)) : undefined;
    try {
      const code = await runtime.exec(id, proc, {
        detach: req.detach,
        stdio: relay ? relay.stdio : [req.interactive ? 'inherit' : 'ignore', own, own],
        onStdio: relay?.connect,
      });
      await relay?.drained; // the output the process wrote before it exited is still in the pipes
      return code;
    } catch (e) {
      throw execFailure(this.sayWhyNotExecutable(id, e)); // docker exec: 126/127 when the command cannot be run
    }
  }

  /** The container's processes: every process in its PID namespace, read from /proc. */
  async top(ref: string): Promise<string[][]> {
    const rows: string[][] = [['UID', 'PID', 'PPID', 'STAT', 'TIME', 'CMD']];
    const hz = 100;
    for (const pid of await this.topPids(ref)) {
      const stat = readOr(`/proc/${pid}/stat`, '');
      if (!stat) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const uid = /^Uid:\s+(\d+)/m.exec(readOr(`/proc/${pid}/status`, ''))?.[1] ?? '?';
      const secs = Math.floor((Number(f[11]) + Number(f[12])) / hz);
      const time = `${String(Math.floor(secs / 3600)).padStart(2, '0')}:${String(Math.floor(secs / 60) % 60).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
      const cmd =
        readOr(`/proc/${pid}/cmdline`, '').replace(/\0+$/, '').split('\0').join(' ') || `[${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}]`;
      rows.push([uid, String(pid), f[1], f[0], time, cmd]);
    }
    return rows;
  }

  /** The host pids of a running container's processes (those in its PID namespace). */
  async topPids(ref: string): Promise<number[]> {
    const id = this.store.resolve(ref);
    const st = await this.refresh(id);
    if (st.status !== 'running' || !st.pid) throw new HakoError(`container ${id.slice(0, 12)} is not running`);
    const ns = nsOf(st.pid);
    if (!ns) return [];
    return fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name) && nsOf(Number(name)) === ns)
      .map(Number);
  }

  /** docker-like `inspect` document. */
  async inspect(ref: string): Promise<Record<string, unknown>> {
    const id = this.store.resolve(ref);
    const cfg = this.store.readConfig(id);
    const st = await this.refresh(id);
    const o = cfg.options;
    const zero = '0001-01-01T00:00:00Z';
    return {
      Id: id,
      Created: cfg.created,
      Path: cfg.path,
      Args: cfg.args,
      State: {
        Status: st.paused && st.status === 'running' ? 'paused' : st.status,
        Running: st.status === 'running',
        Paused: Boolean(st.paused && st.status === 'running'),
        Restarting: st.status === 'restarting',
        OOMKilled: Boolean(st.oomKilled),
        Dead: false,
        Pid: st.status === 'running' ? st.pid : 0,
        ExitCode: st.exitCode,
        Error: st.error ?? '',
        StartedAt: st.startedAt ?? zero,
        FinishedAt: st.finishedAt ?? zero,
        ...healthOfInspect(this, id, st.status),
      },
      Image: cfg.imageId,
      Name: `/${cfg.name}`,
      RestartCount: st.restartCount,
      LogPath: this.store.logPath(id),
      HostConfig: {
        Runtime: cfg.runtime ?? 'hako', // docker's field: the OCI runtime the container runs under
        Binds: o.volumes.filter((v) => v.type !== 'tmpfs').map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`),
        NetworkMode: o.network || 'default',
        PortBindings: o.publish,
        RestartPolicy: { Name: o.restart.name, MaximumRetryCount: o.restart.name === 'on-failure' ? o.restart.maximumRetryCount : 0 },
        AutoRemove: o.rm,
        CapAdd: o.capAdd,
        CapDrop: o.capDrop,
        Privileged: o.privileged,
        ReadonlyRootfs: o.readOnly,
        SecurityOpt: [...(o.seccomp ? [`seccomp=${o.seccomp}`] : []), ...(o.noNewPrivileges ? ['no-new-privileges'] : [])],
        Memory: o.memory ?? 0,
        MemorySwap: o.memorySwap ?? 0,
        NanoCpus: Math.round((o.cpus ?? 0) * 1e9),
        CpuShares: o.cpuShares ?? 0,
        PidsLimit: o.pidsLimit ?? null,
        Ulimits: o.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
        Devices: o.devices.map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: d.permissions })),
        Sysctls: o.sysctls,
        Init: o.init,
        UsernsMode: o.userns ?? '',
        Tmpfs: Object.fromEntries(o.volumes.filter((v) => v.type === 'tmpfs').map((v) => [v.target, v.options.join(',')])),
      },
      Mounts: o.volumes.map((v) => ({
        Type: v.type,
        Name: v.type === 'volume' ? v.source : undefined,
        Source: this.volumeSource(v),
        Destination: v.target,
        RW: !v.readOnly,
      })),
      Config: {
        Hostname: this.runtimeHostname(id),
        User: o.user ?? '',
        Env: o.env,
        Cmd: o.command.length ? o.command : null,
        Image: cfg.image,
        Entrypoint: o.entrypoint === undefined ? null : Array.isArray(o.entrypoint) ? o.entrypoint : [o.entrypoint],
        WorkingDir: o.workdir ?? '',
        Labels: o.labels,
        Tty: o.tty,
        OpenStdin: o.interactive,
        StopSignal: o.stopSignal ?? 'SIGTERM',
      },
      NetworkSettings: networkSettings(this.networks.state(this.store.containerDir(id)), this.netPlan(cfg)),
    };
  }

  /** The container process's args[0], as the bundle has it. */
  private runtimeCommand(id: string): string {
    try {
      return (
        (JSON.parse(fs.readFileSync(path.join(this.store.bundleDir(id), 'config.json'), 'utf8')) as { process?: { args?: string[] } }).process?.args?.[0] ?? ''
      );
    } catch {
      return '';
    }
  }

  private runtimeHostname(id: string): string {
    try {
      return (JSON.parse(fs.readFileSync(path.join(this.store.bundleDir(id), 'config.json'), 'utf8')) as { hostname?: string }).hostname ?? '';
    } catch {
      return '';
    }
  }

  // ---- images ----

  private containerSink(): LogSink {
    return this.output.container ?? { write: () => {} };
  }

  /** The image for `run`: from the store, or pulled (with progress on output.progress) when absent
   *  or `--pull always`; `--platform` picks the pull's platform and must match the image. */
  private async imageFor(ref: string, policy: ImagePolicy = {}): Promise<ImageInspect> {
    const platform = wantedPlatform(policy);
    if (!this.images.resolve(ref) && isBuiltinImage(ref)) {
      // No registry serves hako.local: the built-in image is made here, in this store, on first use.
      const { makeBuiltinImage } = await import('./builtin-image.js');
      await makeBuiltinImage(this.images);
    }
    const present = Boolean(this.images.resolve(ref));
    if (!isBuiltinImage(ref) && mustPull(ref, present, policy)) {
      parseReference(ref); // a malformed reference is said before "Unable to find", as docker does
      const progress = this.output.progress;
      if (!present) progress?.write(`Unable to find image '${ref}' locally\n`);
      // The registry client (and node:https) loads only for a pull, not on every run.
      const { pull, createProgressRenderer } = await import('../image/index.js');
      const rec = await pull(ref, { store: this.images, platform, onProgress: progress && createProgressRenderer(progress) });
      recordEvent(this.root, 'image', 'pull', rec.reference, { name: rec.reference });
    }
    const image = inspectImage(this.images, ref);
    checkPlatform(ref, image, policy);
    return image;
  }

  /** Image IDs / digests used by any container: rmi refuses these without -f. */
  async imagesInUse(): Promise<Set<string>> {
    return new Set((await this.list()).map(({ config }) => config.imageId));
  }

  // ---- helpers ----

  /** The runtime's "permission denied" for a command that is a directory, said as runc and docker
   *  say it (exit-codes.ts); any other error unchanged. */
  private sayWhyNotExecutable(id: string, err: unknown): unknown {
    if (!(err instanceof HakoError)) return err;
    const message = explainExecFailure(err.message, this.store.rootfs(id));
    return message === err.message ? err : new HakoError(message, err.exitCode);
  }

  private netPlan(cfg: ContainerConfig): NetworkPlan {
    try {
      return planNetwork(cfg.options.network, []);
    } catch {
      return { mode: 'none', names: [] };
    }
  }

  /** --network container:REF: the container whose network namespace is joined. */
  private readonly joinLookup = (ref: string): { id: string; dir: string; running: boolean } => {
    let id: string;
    try {
      id = this.store.resolve(ref);
    } catch {
      throw new HakoError(`--network container:${ref}: no such container`);
    }
    let running = false;
    try {
      running = this.store.readState(id).status === 'running';
    } catch {
      /* being removed */
    }
    return { id, dir: this.store.containerDir(id), running };
  };

  /** The container of a `container:REF` namespace join, found at start; a pod's infra container is
   *  started first when it is not running (as podman starts a pod's infra with its first member). */
  private async joinTarget(j: NamespaceJoin): Promise<JoinTarget> {
    let id: string;
    try {
      id = this.store.resolve(j.ref);
    } catch {
      throw new HakoError(`--${j.type} container:${j.ref}: no such container`);
    }
    let st = await this.refresh(id);
    if (st.status !== 'running' && this.store.readConfig(id).options.infraOf) {
      await this.start(id);
      st = await this.refresh(id);
    }
    return { id, pid: st.status === 'running' ? st.pid : 0, netnsPin: this.networks.pin(id) };
  }

  /** Rootless with a user-mode network: what starts its tool once the runtime made the namespace. */
  private userModeStarter(id: string): ((pid: number) => Promise<void>) | undefined {
    const dir = this.store.containerDir(id);
    const st = this.networks.state(dir);
    if (st?.mode !== 'usermode' && !st?.pending) return undefined;
    return (pid) => this.networks.startUserMode(id, dir, pid);
  }

  /** Pins, attaches and fills in /etc/hosts etc. before the container starts (caller holds the lock). */
  private async setUpNetwork(cfg: ContainerConfig): Promise<void> {
    const plan = planNetwork(cfg.options.network, [], this.networks.store, this.joinLookup);
    const spec = plan.mode === 'container' ? 'host' : this.networks.specNetns(plan, cfg.id);
    if (isRootless()) await this.pointUserns(cfg.id, plan);
    const own = spec === 'host' ? undefined : spec; // (a joined one is resolveJoins' own work)
    await resolveJoins(path.join(this.store.bundleDir(cfg.id), 'config.json'), cfg.options, (j) => this.joinTarget(j), own);
    await this.networks.setUp(this.networkContext(cfg, plan));
  }

  /** What the container's networking needs to know of it (network.ts), for a plan. */
  networkContext(cfg: ContainerConfig, plan = planNetwork(cfg.options.network, [], this.networks.store, this.joinLookup)): NetworkContext {
    const publish =
      plan.mode === 'networks' || plan.mode === 'usermode'
        ? [...cfg.options.publish, ...(cfg.options.publishAll ? exposedMappings(cfg.exposedPorts ?? []) : [])]
        : [];
    return {
      id: cfg.id,
      name: cfg.name,
      hostname: this.runtimeHostname(cfg.id) || cfg.id.slice(0, 12),
      dir: this.store.containerDir(cfg.id),
      plan,
      publish,
      names: cfg.options,
    };
  }

  /** Rootless, before each start: a container in the shared user namespace joins the one held now
   *  (its holder may have ended and been made again since create), or, with --network container:,
   *  the other container's, which owns the network namespace it joins. */
  private async pointUserns(id: string, plan: NetworkPlan): Promise<void> {
    const file = path.join(this.store.bundleDir(id), 'config.json');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as Spec;
    const user = spec.linux?.namespaces?.find((n) => n.type === 'user');
    if (!user?.path) return;
    let target = await sharedUserns();
    if (plan.mode === 'container' && plan.joined?.id) {
      const pid = this.store.readState(plan.joined.id).pid;
      if (pid) target = `/proc/${pid}/ns/user`;
    }
    // fuse-overlayfs: the root mounted (again) in the holder's mount namespace, which the runtime enters.
    const fuse = readFuseMount(this.store.containerDir(id));
    const holder = fuse && (await sharedPause());
    if (holder) ensureFuseMounted(fuse, holder);
    const mntns = holder ? holder.mntns : spec.annotations?.[ROOTFS_MOUNTNS_ANNOTATION];
    if (user.path === target && spec.annotations?.[ROOTFS_MOUNTNS_ANNOTATION] === mntns) return;
    user.path = target;
    if (mntns) spec.annotations = { ...spec.annotations, [ROOTFS_MOUNTNS_ANNOTATION]: mntns };
    fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  }

  /** Detaches and unpins the container's network if it has one (caller holds the lock). Called
   *  whenever the container is not coming back: a fuse-overlayfs root is taken down then too (as
   *  podman's cleanup unmounts it), and mounted again by the next start. */
  private async tearDownNetwork(id: string): Promise<void> {
    const dir = this.store.containerDir(id);
    releaseFuseRootfs(dir);
    if (this.networks.hasResources(id, dir)) await this.networks.tearDown(id, dir);
  }

  /**
   * Containers that died without their exit command running (monitor killed, host rebooted) still
   * hold an address, port rules and a pinned namespace: `ps` and `rm` release them here.
   */
  async reapNetworks(): Promise<void> {
    for (const id of this.store.ids()) {
      const dir = this.store.containerDir(id);
      if (!this.networks.hasResources(id, dir)) continue;
      let st: ContainerState;
      try {
        st = await this.refresh(id);
      } catch {
        continue;
      }
      if (st.status !== 'exited' && st.status !== 'created') continue;
      if (st.monitorPid && st.monitorPid !== process.pid && sameProcess(st.monitorPid, st.monitorStartTime)) continue;
      await this.store
        .lock(id, async () => {
          const cur = this.store.readState(id);
          if (cur.status === 'exited' || cur.status === 'created') await this.tearDownNetwork(id);
        })
        .catch((e: Error) => this.warn(`warning: ${e.message}`));
    }
  }

  private freeName(): string {
    const taken = new Set(
      this.store.ids().map((id) => {
        try {
          return this.store.readConfig(id).name;
        } catch {
          return '';
        }
      }),
    );
    for (let i = 0; i < 100; i++) {
      const n = randomName(i > 10);
      if (!taken.has(n)) return n;
    }
    return `hako_${newId().slice(0, 12)}`;
  }

  private volumeSource(v: VolumeSpec): string {
    if (v.type === 'bind') return v.source;
    if (v.type === 'volume') return path.join(this.root, 'volumes', v.source, '_data');
    return '';
  }

  /** -v/--mount/--tmpfs -> OCI mounts. Named volumes live under <root>/volumes/<name>/_data and, when
   *  new, get a copy of what the image has at the mount point (docker does the same). */
  /** `rootfs`: the mounted root filesystem, or (rootless, mounted only inside the container) the
   *  image's layers, top first. */
  private volumeMounts(cfg: ContainerConfig, rootfs: string | string[]): Mount[] {
    const out: Mount[] = [];
    for (const v of cfg.options.volumes) {
      if (v.type === 'tmpfs') {
        out.push({ destination: v.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(v.readOnly ? ['ro'] : []), ...v.options] });
        continue;
      }
      if (v.type === 'volume' && !v.source) v.source = `anon-${newId().slice(0, 32)}`;
      let src = this.volumeSource(v);
      if (v.type === 'bind') {
        if (!fs.existsSync(src)) fs.mkdirSync(src, { recursive: true }); // docker's -v creates a missing host directory
      } else if (!fs.existsSync(src)) {
        fs.mkdirSync(src, { recursive: true });
        try {
          if (typeof rootfs === 'string') copyFromImage(rootfs, v.target, src);
          else if (rootfs.some((layer) => resolveInRoot(layer, v.target) !== null)) {
            this.warn(`volume at ${v.target}: the image's content there is not copied into a new volume of a rootless container yet`);
          }
        } catch (e) {
          removeTree(src); // not half a volume (of image content): the next run copies again
          throw e;
        }
      }
      src = fs.realpathSync(src);
      out.push({
        destination: v.target,
        type: 'bind',
        source: src,
        options: [
          'rbind',
          v.readOnly ? 'ro' : 'rw',
          ...(v.options.filter((o) => o !== 'nocopy').length ? v.options.filter((o) => o !== 'nocopy') : ['rprivate']),
        ],
      });
    }
    this.store.writeConfig(cfg); // anonymous volume names are now fixed
    return out;
  }
}

/** An external runtime's failure, its exec failure worded as runc's (runtime-external.ts). */
function asRuncExecError(err: unknown, command: string): unknown {
  if (!(err instanceof HakoError)) return err;
  const message = execErrorAsRunc(err.message, command);
  return message === err.message ? err : new HakoError(message, err.exitCode);
}

/** --device: the host node's type and numbers, for linux.devices and the device cgroup. */
function hostDevice(host: string, container: string, permissions: string): { device: Device; rule: DeviceCgroup } {
  let st: fs.Stats;
  try {
    st = fs.statSync(host);
  } catch {
    throw new HakoError(`--device ${host}: no such device`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new HakoError(`--device ${host}: not a device node`);
  const type = st.isCharacterDevice() ? 'c' : 'b';
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
  return {
    device: { type, path: container, major, minor, fileMode: st.mode & 0o777, uid: 0, gid: 0 },
    rule: { allow: true, type, major, minor, access: permissions },
  };
}

/** A foreground run handles its container's exit in-process unless a restart policy applies: restarts
 *  (with their back-off) stay with conmon's exit command, which outlives us. */
function handlesOwnExit(cfg: ContainerConfig): boolean {
  return cfg.options.restart.name === 'no';
}

/** The exit status recorded for a start that failed: as `run` exits (126/127 for the command, else 125). */
function startFailureStatus(e: unknown): number {
  return commandStatus((e as Error).message ?? '') ?? ENGINE_FAILED;
}

function thisProcess(): { pid: number; startTime: string } | undefined {
  const startTime = procStat(process.pid)?.startTime;
  return startTime ? { pid: process.pid, startTime } : undefined;
}

function sameProcess(pid: number, startTime: string | undefined): boolean {
  const st = procStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return !startTime || st.startTime === startTime;
}

/** Whether `pid` is this process's parent, or its parent's parent… (a few levels: the exit command
 *  runs under /bin/sh and bin/hako's launcher). */
function isAncestor(pid: number): boolean {
  let p = process.ppid;
  for (let i = 0; i < 8 && p > 1; i++) {
    if (p === pid) return true;
    const stat = readOr(`/proc/${p}/stat`, '');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0; // after the name: state, ppid
  }
  return false;
}

/** The kernel's wait before the first cgroup migration (src/cgroups/prime.ts), begun early. */
async function primeCgroups(): Promise<void> {
  const { DEFAULT_CGROUP_ROOT, detectLayout, primeCgroupMigration } = await import('../cgroups/index.js');
  await primeCgroupMigration(DEFAULT_CGROUP_ROOT, detectLayout() === 'v2');
}

/** OOM kills in the container's cgroup (`/hako/<id>`, see create); 0 when it cannot be read. */
async function oomKillsIn(id: string): Promise<number> {
  try {
    const { openCgroup } = await import('../cgroups/index.js');
    return openCgroup(`/hako/${id}`).oomKills();
  } catch {
    return 0;
  }
}

function nsOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return '';
  }
}

/** An exec's pipes relayed to caller's streams (which it ends itself): stdin into the process
 *  (ending it at the stream's end), its stdout and stderr out. `drained` settles when both output
 *  pipes have closed. */
function relayExecStdio(io: ExecStreams, interactive: boolean) {
  let done!: () => void;
  const drained = new Promise<void>((resolve) => {
    done = resolve;
  });
  const stdio: StdioOptions = [interactive && io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  const connect = ([stdin, stdout, stderr]: [Writable | null, Readable | null, Readable | null]) => {
    if (stdin && io.stdin) {
      stdin.on('error', () => {}); // the process exited before reading everything: nothing to tell
      io.stdin.pipe(stdin);
    }
    let open = 0;
    for (const [from, to] of [
      [stdout, io.stdout],
      [stderr, io.stderr],
    ] as const) {
      if (!from) continue;
      open++;
      from.pipe(to, { end: false });
      from.once('close', () => {
        if (--open === 0) done();
      });
    }
    if (open === 0) done();
  };
  return { stdio, connect, drained };
}

export interface LogOptions {
  follow?: boolean;
  /** The last N lines; -1 or undefined: all. */
  tail?: number;
  timestamps?: boolean;
  /** Only entries at or after / before these times (ms since the epoch), as docker's --since/--until. */
  since?: number;
  until?: number;
  /** Ends following (the reader went away). */
  signal?: AbortSignal;
}

/** `sink` for the entries inside opts' since/until window only. */
function timeWindowSink(sink: LogSink, opts: LogOptions): LogSink {
  if (opts.since === undefined && opts.until === undefined) return sink;
  return {
    write(e) {
      const t = Date.parse(e.time);
      if (opts.since !== undefined && t < opts.since) return;
      if (opts.until !== undefined && t > opts.until) return;
      sink.write(e);
    },
  };
}

/** Rootless: the maps of the container's user namespace, after refusing what an ordinary user's
 *  container cannot have here (limits without a delegated cgroup, networks before rootless-net). */
function rootlessMaps(opts: RunOptions, network: NetworkPlan['mode'], runtime: string): UserMaps {
  checkRootlessLimits(opts, noDelegationReason());
  const own = opts.userns === 'keep-id' ? '--userns=keep-id' : runtime !== 'hako' ? `--runtime ${runtime}` : '';
  if ((network === 'container' || network === 'networks') && own) {
    throw new HakoError(
      `--network ${opts.network}: not with ${own} (that container's user namespace is its own, not the one that owns the network namespaces of the others)`,
    );
  }
  const maps = userMaps(opts.userns === 'keep-id' ? 'keep-id' : 'default');
  if (opts.userns === 'keep-id' && opts.user === undefined) opts.user = `${process.geteuid!()}:${process.getegid!()}`;
  return maps;
}
