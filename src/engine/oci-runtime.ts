// The OCI runtime behind the engine, as podman keeps its runtimes behind libpod's OCIRuntime
// (oci.go, with oci_conmon_linux.go driving any runtime that has runc's command line). Three
// implementations: hako's own (runtime-hako.ts: conmon's create is answered in this process, start,
// kill and delete are library calls, no process per step), and runc or crun, or any binary with
// runc's command line (runtime-external.ts: conmon runs it with `--runtime PATH`, the engine drives
// it by its CLI). The choice is recorded per container (ContainerConfig.runtime): every later
// command (stop, kill, rm, exec, inspect) uses the runtime that created it.
import fs from 'node:fs';
import path from 'node:path';
import type { StdioOptions } from 'node:child_process';
import { HakoError } from '../util/errors.js';
import type { CgroupStats } from '../cgroups/index.js';
import type { Process, Spec } from '../oci/types.js';

/** What conmon runs as the runtime (`-r PATH` and `--runtime-arg`s), for one create. */
export interface CreateSession {
  conmon: { path: string; args: string[] };
  /** Settles once the runtime's create is done (hako's, answered in this process); an external
   *  runtime is done when conmon reports, so this is resolved at once. */
  created: Promise<void>;
  /** Whether the runtime's own error (better than conmon's summary of it) is on its way in `created`. */
  hasOwnError(): boolean;
  close(): void;
}

export interface ExecIo {
  detach?: boolean;
  stdio: StdioOptions;
  /** Where the exec'd process's pid is written once it runs (a health check's timeout kills it). */
  pidFile?: string;
}

export interface OCIRuntime {
  /** `hako`, `runc`, `crun`, or the path given. */
  readonly name: string;
  /** Prepares conmon's runtime call for creating `id` from the bundle. */
  beginCreate(id: string): Promise<CreateSession>;
  /** Prepares conmon's runtime call for restoring `id` (conmon's --restore: the runtime's
   *  `restore --detach --image-path DIR`, a process of the runtime's CLI even for hako's). */
  beginRestore(id: string): Promise<CreateSession>;
  /** Checkpoints the running container with criu (runc's `checkpoint`): gone afterwards unless
   *  `leaveRunning`. */
  checkpoint(id: string, opts: { imagePath: string; workPath?: string; leaveRunning?: boolean }): Promise<void>;
  /** Opens the start barrier of a created container. */
  start(id: string): Promise<void>;
  /** The runtime's status and init pid; throws when it has no such container. */
  state(id: string): Promise<{ status: string; pid?: number }>;
  /** Signals the container's processes (all of them: docker's kill reaches the whole container). */
  kill(id: string, signal: number): Promise<void>;
  /** Freezes every process of the container (runc's `pause`: the cgroup freezer). */
  pause(id: string): Promise<void>;
  /** Thaws a paused container (runc's `resume`). */
  resume(id: string): Promise<void>;
  /** Forgets the container (killing what is left); no error when it has no such container. */
  delete(id: string): Promise<void>;
  /** Runs `proc` in the running container; its exit status (0 when detached). */
  exec(id: string, proc: Process, io: ExecIo): Promise<number>;
  /** Foreground `run -i/-t`: create and start in this process with our terminal; the exit status. */
  run(id: string, bundle: string, opts: { interactive: boolean }): Promise<number>;
  /** The spec the container was created with (exec's defaults). */
  spec(id: string, bundle: string): Spec;
  stats(id: string): CgroupStats;
}

/** The runtimes known by name; anything else must be the path of an executable. */
const KNOWN: Record<string, string[]> = {
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'],
  crun: ['/usr/bin/crun', '/usr/local/bin/crun'],
};

/**
 * `--runtime NAME|PATH` as recorded: `hako`, `runc`, `crun` or an absolute path to a binary with
 * runc's command line. Returns the name to record (runc and crun by name, so the container follows
 * the binary where it moves); refuses what cannot run.
 */
export function checkRuntimeName(name: string): string {
  if (name === 'hako' || name === '') return 'hako';
  if (KNOWN[name]) {
    runtimeBinary(name);
    return name;
  }
  if (!path.isAbsolute(name))
    throw new HakoError(`--runtime ${name}: unknown runtime (hako, runc, crun, or the absolute path of a runtime with runc's command line)`);
  try {
    fs.accessSync(name, fs.constants.X_OK);
  } catch {
    throw new HakoError(`--runtime ${name}: not an executable file`);
  }
  return name;
}

/** The binary of an external runtime recorded as `name`. */
export function runtimeBinary(name: string): string {
  if (!KNOWN[name]) return name;
  const dirs = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((d) => path.join(d, name));
  const found = [...dirs, ...KNOWN[name]].find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new HakoError(`--runtime ${name}: ${name} is not installed (no ${name} in $PATH or ${KNOWN[name].join(', ')})`);
  return found;
}

/** The default runtime of an engine root: `$HAKO_RUNTIME`, else `default-runtime` in
 *  `<root>/engine.json` (as docker's daemon.json), else hako. */
export function defaultRuntimeName(root: string): string {
  if (process.env.HAKO_RUNTIME) return process.env.HAKO_RUNTIME;
  const file = path.join(root, 'engine.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 'hako';
  }
  let conf: { 'default-runtime'?: unknown };
  try {
    conf = JSON.parse(text) as typeof conf;
  } catch (e) {
    throw new HakoError(`${file}: ${(e as Error).message}`);
  }
  const v = conf['default-runtime'];
  if (v === undefined) return 'hako';
  if (typeof v !== 'string') throw new HakoError(`${file}: default-runtime must be a string`);
  return v;
}
