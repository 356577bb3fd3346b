// Detached containers are watched by conmon (Debian's, the monitor podman and CRI-O use): a ~1 MB C
// process per container that keeps the container's stdio, writes its output to the log, reaps it,
// writes its exit code to <containerDir>/exits/<id> and then runs our exit command
// (`hako container-exited ID`), which records the exit and applies the restart policy.
// conmon drives the OCI runtime through runc's command line; we point it at bin/hako-runtime.
// See src/engine/README.md for why conmon and not a monitor of our own.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Socket } from 'node:net';
import { HakoError } from '../util/errors.js';
import { codeDir } from '../util/install-dir.js';
import { runtimeErrorLine } from './runtime-errors.js';

export const CONMON = process.env.HAKO_CONMON || '/usr/bin/conmon';

/** Finds bin/<name> of this installation (from dist/ or build/src/engine/), or $HAKO_BIN_DIR/<name>. */
export function findBin(name: 'hako' | 'hako-runtime'): string {
  if (process.env.HAKO_BIN_DIR) return path.join(process.env.HAKO_BIN_DIR, name);
  let dir = codeDir(import.meta.url);
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new HakoError(`bin/${name} not found next to the hako installation`);
}

export interface ConmonOptions {
  id: string;
  name: string;
  bundle: string;
  runtimeRoot: string;
  engineRoot: string;
  containerDir: string;
  logPath: string;
  exitDir: string;
  tty: boolean;
  /** Keep the container's stdin open as a pipe (run -di). */
  stdin: boolean;
  /** A foreground `hako run` that handles the container's exit itself: while this process (pid and
   *  /proc start time) lives, conmon skips the exit command. */
  exitHandledBy?: { pid: number; startTime: string };
  /** `none`: conmon keeps no log (a detached container's output is dropped, as docker's none driver). */
  logDriver?: 'k8s-file' | 'none';
  /** --log-opt max-size: conmon truncates the log when it grows past this many bytes. */
  logSizeMax?: number;
  /** The OCI runtime conmon runs, with its arguments; default: bin/hako-runtime --root=runtimeRoot. */
  runtime?: { path: string; args: string[] };
  /** conmon's --restore: the runtime's `restore --detach --image-path DIR` instead of `create`. */
  restoreFrom?: string;
}

export interface ConmonStarted {
  /** The container's init pid (created, waiting at the start barrier). */
  pid: number;
  /** The long-lived conmon process. */
  conmonPid: number;
}

/** Starts conmon, which runs the runtime's `create` (the engine socket, or `hako-runtime`); resolves
 *  once conmon has reported the container's pid. */
export async function startConmon(o: ConmonOptions): Promise<ConmonStarted> {
  if (!fs.existsSync(CONMON)) throw new HakoError(`${CONMON} is missing: install Debian's conmon package (needed for detached containers)`);
  const pidFile = path.join(o.containerDir, 'pid');
  const conmonPidFile = path.join(o.containerDir, 'conmon.pid');
  for (const f of [pidFile, conmonPidFile]) fs.rmSync(f, { force: true });
  // conmon links the attach socket directory here; it must exist.
  fs.mkdirSync(path.join(o.containerDir, 'attach'), { recursive: true });
  const args = conmonArgs(o, pidFile, conmonPidFile);
  // conmon reports the created container's pid (or the runtime's error) as JSON on the sync pipe.
  // conmon marks an OOM kill in the container's cgroup with an empty file `oom` in its working
  // directory: the container's, where containerExited finds it, not wherever hako was started.
  const child = spawn(CONMON, args, {
    cwd: o.containerDir,
    stdio: ['ignore', process.env.HAKO_CONMON_DEBUG ? 'inherit' : 'ignore', process.env.HAKO_CONMON_DEBUG ? 'inherit' : 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3' },
    detached: true,
  });
  const sync = child.stdio[3] as Socket;
  let text = '';
  let stderr = '';
  // The report is one line of JSON; it may come before or after the first conmon process exits.
  const reported = new Promise<void>((resolve) => {
    sync.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('}')) resolve();
    });
    sync.once('close', () => resolve());
    sync.once('end', () => resolve());
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new HakoError(`starting conmon: ${e.message}`)));
    child.once('exit', (c) => resolve(c ?? 1));
  });
  // The daemonised conmon keeps the pipe; its report arrives as a line of JSON.
  await withTimeout(reported, 30_000);
  sync.destroy();
  child.stderr?.destroy();
  const report = parseSync(text);
  if (!report || report.data < 0) {
    const why =
      report?.message?.trim() ||
      stderr
        .trim()
        .split('\n')
        .filter((l) => !/oom_score_adj/.test(l))
        .pop() ||
      `conmon exited with status ${code}`;
    throw new HakoError(cleanRuntimeError(why));
  }
  const conmonPid = Number(readOr(conmonPidFile, '0'));
  return { pid: report.data, conmonPid };
}

/** conmon's command line: the container, the runtime and its arguments, the log, the exit command. */
function conmonArgs(o: ConmonOptions, pidFile: string, conmonPidFile: string): string[] {
  const args = [
    '--api-version',
    '1',
    '-c',
    o.id,
    '-u',
    o.id,
    '-n',
    o.name,
    '-r',
    o.runtime?.path ?? findBin('hako-runtime'),
    ...(o.runtime?.args ?? [`--root=${o.runtimeRoot}`]).flatMap((a) => ['--runtime-arg', a]),
    '-b',
    o.bundle,
    '-p',
    pidFile,
    '-P',
    conmonPidFile,
    '-l',
    o.logDriver === 'none' ? 'none:' : `k8s-file:${o.logPath}`,
    ...(o.logSizeMax ? ['--log-size-max', String(o.logSizeMax)] : []),
    '--exit-dir',
    o.exitDir,
    '--socket-dir-path',
    path.join(o.containerDir, 'attach'),
    // bin/hako, not dist/hako: the launcher keeps Bun's own variables away from it (bin/hako).
    '--exit-command',
    findBin('hako'),
    '--exit-command-arg',
    '--root',
    '--exit-command-arg',
    o.engineRoot,
    '--exit-command-arg',
    'container-exited',
    '--exit-command-arg',
    o.id,
    '--log-level',
    process.env.HAKO_CONMON_DEBUG ? 'debug' : 'error',
  ];
  if (o.restoreFrom) args.push('--restore', o.restoreFrom);
  if (o.exitHandledBy) guardExitCommand(args, o.exitHandledBy);
  if (o.tty) args.push('-t');
  if (o.stdin) args.push('-i', '--leave-stdin-open');
  return args;
}

// `sh -c GUARD sh PID STARTTIME EXIT-COMMAND...`: exits when PID still runs (its start time, field
// 22 of /proc/PID/stat and the 20th after the command name, which may hold spaces and parentheses,
// tells a reused pid apart), else runs the exit command. A shell costs a millisecond where the Node
// exit command costs ~100 ms, and a foreground run would wait for it before removing the container.
const EXIT_GUARD =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script: ${…} is the shell's
  'alive() { t=$2; read -r s < "/proc/$1/stat" || return 1; set -f; set -- ${s##*) }; [ "${20}" = "$t" ]; }; ' +
  'alive "$1" "$2" 2>/dev/null && exit 0; shift 2; exec "$@"';

/** Wraps conmon's exit command in EXIT_GUARD for `owner` (the args after it stay as they are). */
function guardExitCommand(args: string[], owner: { pid: number; startTime: string }): void {
  const i = args.indexOf('--exit-command');
  if (i < 0) return;
  const wrapped = ['-c', EXIT_GUARD, 'sh', String(owner.pid), owner.startTime, args[i + 1]];
  args.splice(i, 2, '--exit-command', '/bin/sh', ...wrapped.flatMap((a) => ['--exit-command-arg', a]));
}

/** conmon wraps runtime errors ("runtime create failed: … hako: X"): keep the runtime's own line. */
function cleanRuntimeError(msg: string): string {
  const lines = msg
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const ours = lines.filter((l) => l.includes('hako: ')).map((l) => l.slice(l.lastIndexOf('hako: ') + 6));
  if (ours.length) return ours[ours.length - 1];
  // runc's `time=… level=error msg="…"`, crun's `crun: …`: the message alone.
  return lines.length ? runtimeErrorLine(lines[lines.length - 1]) : msg;
}

function parseSync(text: string): { data: number; message?: string } | undefined {
  for (const line of text.split('\n')) {
    try {
      const j = JSON.parse(line) as { data?: number; message?: string };
      if (typeof j.data === 'number') return { data: j.data, message: j.message };
    } catch {
      /* partial */
    }
  }
  return undefined;
}

/** Waits for `p`, but no longer than `ms` (a conmon that never reports is handled by the caller). */
async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}
