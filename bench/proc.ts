// Running peer commands. Timed commands get stdin/stdout on /dev/null and stderr in a scratch file,
// never pipes: a container created by `create` or `run -d` inherits the runtime's stdio, and a pipe
// would keep spawnSync waiting until the container exits.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { stopRequested } from './supervisor.js';

export interface Cmd {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Outcome {
  ok: boolean;
  ms: number;
  /** First meaningful line of stderr (or the exit status) when !ok. */
  error: string;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

let scratch: string | undefined;
let cleaningUp = false;

/** From now on timed commands ignore the stop request: clean-up must run to the end. */
export function enterCleanup(): void {
  cleaningUp = true;
}

/** Where timed commands write stderr; set once per bench run (inside its temp dir). */
export function setScratchDir(dir: string): void {
  scratch = path.join(dir, 'stderr.txt');
}

export function describe(cmd: Cmd): string {
  return [cmd.file, ...cmd.args].join(' ');
}

/** Runs `cmd` and measures its wall time with hrtime around spawnSync (so the ~1 ms of fork/exec
 *  overhead from Node is in every peer's number alike). */
export function timed(cmd: Cmd, timeoutMs = 120_000): Outcome {
  if (!scratch) throw new Error('setScratchDir() was not called');
  const errFd = fs.openSync(scratch, 'w');
  let res: ReturnType<typeof spawnSync>;
  const t0 = process.hrtime.bigint();
  try {
    res = spawnSync(cmd.file, cmd.args, { stdio: ['ignore', 'ignore', errFd], env: cmd.env ?? process.env, timeout: timeoutMs });
  } finally {
    fs.closeSync(errFd);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // While spawnSync blocks, Node cannot run a signal handler; the supervisor's stop file is how
  // the worker learns that it should stop (see supervisor.ts).
  if (!cleaningUp && stopRequested()) throw new Interrupted();
  if (res.error) return { ok: false, ms, error: `${cmd.file}: ${res.error.message}` };
  if (res.status === 0) return { ok: true, ms, error: '' };
  return { ok: false, ms, error: firstLine(fs.readFileSync(scratch, 'utf8')) || `exit status ${res.status ?? res.signal}` };
}

/** Like timed() but throws on failure; for setup and teardown steps that are not measured. */
export function mustRun(cmd: Cmd, timeoutMs?: number): void {
  const out = timed(cmd, timeoutMs);
  if (!out.ok) throw new Error(`${describe(cmd)}: ${out.error}`);
}

/** Runs a short, non-detaching command and returns its stdout ('' on failure). */
export function capture(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).toString();
  } catch {
    return '';
  }
}

export function firstLine(text: string): string {
  // logfmt lines (runc, podman: time=... level=error msg="...") are reduced to their message.
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => /\blevel=\w+ msg="((?:[^"\\]|\\.)*)"/.exec(l)?.[1]?.replace(/\\"/g, '"') ?? l);
  // Prefer a line that looks like an error over a log preamble.
  return (lines.find((l) => /error|fail|denied|not |cannot|unknown/i.test(l)) ?? lines[0] ?? '').slice(0, 200);
}

/** The absolute path of `name` on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Lazily unmounts everything mounted below `dir` (deepest first), e.g. podman's overlay mounts in
 *  its temp storage, so the temp dir can be removed. Bench teardown only, not hako's work. */
export function unmountUnder(dir: string): void {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(prefix)))
    .map((p) => p.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}

export function removeTree(dir: string): void {
  try {
    unmountUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    process.stderr.write(`bench: could not remove ${dir}: ${(e as Error).message}\n`);
  }
}
