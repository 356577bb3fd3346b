// runc, crun, or any runtime with runc's command line, behind the engine's OCIRuntime, driven as
// podman drives them (libpod/oci_conmon_linux.go): conmon runs `RUNTIME --root R create …`, then
// the engine runs `start`, `state`, `kill --all`, `pause`, `resume`, `delete --force` and
// `exec --process FILE`. Each step is one process of the runtime's; hako's own runtime
// (runtime-hako.ts) needs none.
import { spawn, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { HakoError } from '../util/errors.js';
import { openCgroup, type CgroupStats } from '../cgroups/index.js';
import type { Process, Spec } from '../oci/types.js';
import { cgroupDelegated, isRootless } from './rootless.js';
import { runtimeBinary, type CreateSession, type ExecIo, type ForegroundOptions, type OCIRuntime } from './oci-runtime.js';

export class ExternalRuntime implements OCIRuntime {
  private readonly binary: string;

  /** `stateRoot`: the runtime's --root, one per engine root and runtime. */
  constructor(
    readonly name: string,
    private readonly stateRoot: string,
  ) {
    this.binary = runtimeBinary(name);
    // Rootless without a cgroup of the user's own: crun must be told to make none (it refuses the
    // hybrid layout outright, even when nothing is asked of it); runc sees that it is rootless and
    // leaves out a hierarchy it cannot write when the spec asks nothing of it (rootlessForExternal).
    this.noCgroup = isRootless() && !cgroupDelegated();
    this.globals = ['--root', stateRoot, ...(this.noCgroup && path.basename(this.binary) === 'crun' ? ['--cgroup-manager=disabled'] : [])];
  }

  /** Rootless without a delegated cgroup: the container has none, so `kill --all` has no list of
   *  its processes (crun then kills nothing). The signal goes to init; its pid namespace ends the
   *  rest with it. */
  private readonly noCgroup: boolean;

  /** The runtime's global options, before every command. */
  private readonly globals: string[];

  async beginCreate(_id?: string): Promise<CreateSession> {
    fs.mkdirSync(this.stateRoot, { recursive: true, mode: 0o700 });
    return { conmon: { path: this.binary, args: this.globals }, created: Promise.resolve(), hasOwnError: () => false, close: () => {} };
  }

  beginRestore(id: string): Promise<CreateSession> {
    return this.beginCreate(id);
  }

  async checkpoint(id: string, opts: { imagePath: string; workPath?: string; leaveRunning?: boolean }): Promise<void> {
    const work = opts.workPath ? ['--work-path', opts.workPath] : [];
    await this.call(['checkpoint', '--image-path', opts.imagePath, ...work, ...(opts.leaveRunning ? ['--leave-running'] : []), id]);
  }

  async start(id: string): Promise<void> {
    await this.call(['start', id]);
  }

  async state(id: string): Promise<{ status: string; pid?: number }> {
    const out = await this.call(['state', id]);
    const s = JSON.parse(out) as { status: string; pid?: number };
    return { status: s.status, pid: s.pid };
  }

  async kill(id: string, signal: number): Promise<void> {
    await this.call(['kill', ...(this.noCgroup ? [] : ['--all']), id, String(signal)]);
  }

  async pause(id: string): Promise<void> {
    await this.call(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.call(['resume', id]);
  }

  async delete(id: string): Promise<void> {
    try {
      await this.call(['delete', '--force', id]);
    } catch (e) {
      if (!/does not exist|not exist|No such file or directory/i.test((e as Error).message)) throw e;
    }
  }

  async exec(id: string, proc: Process, io: ExecIo): Promise<number> {
    if (proc.terminal && io.detach) throw new HakoError(`exec -d -t: not supported with runtime ${this.name}`);
    const file = path.join(this.stateRoot, `exec-${id}-${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(proc), { mode: 0o600 });
    try {
      const pid = io.pidFile ? ['--pid-file', io.pidFile] : [];
      return await this.runForeground(['exec', ...(io.detach ? ['--detach'] : []), ...pid, '--process', file, id], io.stdio, proc.args?.[0] ?? '', io.onStdio);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  run(id: string, bundle: string, opts: ForegroundOptions): Promise<number> {
    if (opts.onCreated)
      throw new HakoError(`a rootless container's network in the foreground (-i/-t) needs hako's runtime, not ${this.name}: use -d, or --network none|host`);
    fs.mkdirSync(this.stateRoot, { recursive: true, mode: 0o700 });
    const command = this.spec(id, bundle).process?.args?.[0] ?? '';
    return this.runForeground(['run', '--bundle', bundle, id], [opts.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'], command);
  }

  spec(_id: string, bundle: string): Spec {
    return JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as Spec;
  }

  /** The engine's containers live in cgroup /hako/<id> whatever the runtime (engine.ts create). */
  stats(id: string): CgroupStats {
    return openCgroup(`/hako/${id}`).stats();
  }

  /** Runs a runtime command to its end; its stdout, or its error as one HakoError line. */
  private call(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, [...this.globals, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr!.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.once('error', (e) => reject(new HakoError(`${this.name}: ${e.message}`)));
      child.once('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new HakoError(runtimeErrorLine(err) || `${this.name} ${args[0]} exited with status ${code}`));
      });
    });
  }

  /**
   * A command whose process has our stdio (exec, run): the process's exit status. The runtime's own
   * error lines are held back and thrown as one line (so `exec: "x": executable file not found`
   * gives docker's 127 as with hako); everything else on stderr passes through as it comes.
   */
  private runForeground(args: string[], stdio: StdioOptions, command: string, onStdio?: ExecIo['onStdio']): Promise<number> {
    const std = Array.isArray(stdio) ? stdio : [stdio, stdio, stdio];
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, [...this.globals, ...args], { stdio: [std[0], std[1], 'pipe'] });
      // The process's stderr shares the runtime's: what is not the runtime's error goes to the relay.
      const relayErr = onStdio && std[2] === 'pipe' ? new PassThrough() : undefined;
      const stderr = relayErr ?? process.stderr;
      onStdio?.([child.stdin, child.stdout, relayErr ?? null]);
      let held = '';
      let partial = '';
      child.stderr!.on('data', (c: Buffer) => {
        const lines = (partial + c.toString()).split('\n');
        partial = lines.pop()!;
        for (const l of lines) {
          if (isRuntimeError(l)) held += `${l}\n`;
          else if (std[2] !== 'ignore') stderr.write(`${l}\n`);
        }
      });
      child.once('error', (e) => reject(new HakoError(`${this.name}: ${e.message}`)));
      child.once('close', (code, signal) => {
        if (partial && !isRuntimeError(partial) && std[2] !== 'ignore') stderr.write(partial);
        else if (partial) held += partial;
        relayErr?.end();
        if (held) reject(new HakoError(execErrorAsRunc(runtimeErrorLine(held), command)));
        else resolve(code ?? 128 + (signal ? 9 : 0));
      });
    });
  }
}

/** runc logs `time="…" level=error msg="…"`, crun `crun: …`, and crun's failed exec of the
 *  container's command is a bare line (CRUN_EXEC_FAILURE). */
function isRuntimeError(line: string): boolean {
  return /level=(error|fatal) msg=/.test(line) || /^crun: /.test(line) || CRUN_EXEC_FAILURE.test(line);
}

/** crun's words when the container's command cannot be executed: not found (with the name), or
 *  execve's EACCES/EPERM (without it: a directory, a file without x). */
const CRUN_EXEC_FAILURE =
  /^(?:executable file `(.*)` not found in \$PATH: No such file or directory|open executable: (?:Operation not permitted|Permission denied))$/;

/**
 * A runtime's failure to execute the container's command, worded as runc's and hako's (exit-codes.ts
 * matches those words for docker's 126 and 127, as podman matches crun's): crun's
 * "executable file `x` not found in $PATH" and "open executable: Operation not permitted" become
 * `exec: "x": executable file not found in $PATH` (`stat /x: no such file or directory` for a path)
 * and `exec: "x": permission denied` (`command`: the process's args[0]). Anything else unchanged.
 */
export function execErrorAsRunc(message: string, command: string): string {
  const m = CRUN_EXEC_FAILURE.exec(message.replace(/^crun: /, ''));
  if (!m) return message;
  if (m[1] === undefined) return `exec: "${command}": permission denied`;
  return m[1].startsWith('/') ? `exec: "${m[1]}": stat ${m[1]}: no such file or directory` : `exec: "${m[1]}": executable file not found in $PATH`;
}

/** The last error of the runtime, without its logging frame: runc's `msg="…"` (unescaped), crun's
 *  line without `crun: `. */
export function runtimeErrorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.filter(isRuntimeError).pop() ?? lines.pop() ?? '';
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  if (m) return m[1].replace(/\\(.)/g, '$1');
  return last.replace(/^crun: /, '');
}
