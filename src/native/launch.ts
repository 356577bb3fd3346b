// hako-init's plan mode: drives native/hako-init (started by us, or by conmon and connected to us):
// place it (cgroups) before it may act, send the plan, answer its sync points, and turn its one-line
// errors into HakoErrors. Its tool modes are in modes.ts.
import { spawn, type StdioOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { HakoError } from '../util/errors.js';
import { findHelper } from './find.js';
import { trace } from '../util/trace.js';

export interface LaunchOptions {
  plan: Buffer;
  /** stdin, stdout, stderr of the container process. */
  stdio: Exclude<StdioOptions, string>;
  /** runc's --preserve-fds N: our fds 3..3+N-1 go to the helper at PRESERVED_FDS_FIRST.., after
   *  its plan pipe and sync socket; the plan's `preserve_fds` puts them back at 3..3+N-1. */
  preserveFds?: number;
  /** Runs with the helper's pid before it gets its plan: cgroup placement (awaited: the systemd
   *  cgroup driver asks systemd over D-Bus). */
  beforePlan?(helperPid: number): void | Promise<void>;
  /** Answers `sync NAME`; a returned string is sent as the state JSON for in-container hooks. */
  onSync?(name: string, ctx: { helperPid: number; containerPid: number }): string | undefined | Promise<string | undefined>;
  /** Called as soon as the container pid is known (for cleanup on later failures). */
  onPid?(pid: number, helperPid: number): void;
  /** Errors hako-init reports after the first late one (which lateError() returns). */
  warn?(message: string): void;
  /** The helper's stdin, stdout and stderr right after it started, for the entries of `stdio` that
   *  were 'pipe' (null for the others): a caller that relays them (the Docker API's exec). */
  onStdio?(stdio: [Writable | null, Readable | null, Readable | null]): void;
}

/** The hako-init process a container is made by: our child, or conmon's (the engine socket). */
export interface HelperProcess {
  readonly pid?: number;
  kill(signal?: NodeJS.Signals | number): boolean;
}

export interface Launched {
  helper: HelperProcess;
  containerPid: number;
  /** Resolves with the helper's exit code (meaningful in fork mode `wait`). */
  exited: Promise<number>;
  /** Closes our end of the sync socket: the container is on its own now. */
  detach(): void;
  /** An error hako-init reported after `ready` (say, at the start barrier), once read. */
  lateError(): Promise<string | undefined>;
}

/** Where the helper finds the caller's preserved fds: right after fds 3 (plan) and 4 (sync). */
export const PRESERVED_FDS_FIRST = 5;

/** Starts hako-init as our child: the plan goes through fd 3, fd 4 is the sync socket. */
export function launch(opts: LaunchOptions): Promise<Launched> {
  trace('spawn');
  const preserved = Array.from({ length: opts.preserveFds ?? 0 }, (_, i) => 3 + i);
  const helper = spawn(findHelper(), [], { stdio: [...opts.stdio.slice(0, 3), 'pipe', 'pipe', ...preserved] as StdioOptions });
  const exited = new Promise<number>((resolve) => {
    helper.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  });
  const planPipe = helper.stdio[3] as Socket;
  opts.onStdio?.([helper.stdin, helper.stdout, helper.stderr]);
  return drive(helper, helper.pid!, helper.stdio[4] as Socket, exited, opts, {
    sendPlan: (plan) => planPipe.end(plan),
    abort: () => planPipe.destroy(),
    startError: (onError) => helper.once('error', (e) => onError(new HakoError(`starting ${findHelper()}: ${e.message}`))),
  });
}

/** A hako-init that connected to us on its own (conmon's runtime, native/README.md "the engine
 *  socket"): the plan goes as u32le length + bytes over the same connection, the sync socket. */
export function attach(conn: Socket, pid: number, opts: Omit<LaunchOptions, 'stdio'>): Promise<Launched> {
  const helper: HelperProcess = {
    pid,
    kill: (signal) => {
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
  };
  // Its exit status is conmon's to collect; for us it is done when the connection closes.
  const exited = new Promise<number>((resolve) => conn.once('close', () => resolve(0)));
  return drive(
    helper,
    pid,
    conn,
    exited,
    { ...opts, stdio: [] },
    {
      sendPlan: (plan) => {
        const head = Buffer.alloc(4);
        head.writeUInt32LE(plan.length);
        conn.write(Buffer.concat([head, plan]));
      },
      abort: () => {},
      startError: () => {},
    },
  );
}

type SyncIO = { sendPlan(plan: Buffer): void; abort(): void; startError(onError: (e: Error) => void): void };

/** The sync protocol, the same for both: place the helper, send the plan, answer its lines. */
function drive(helper: HelperProcess, helperPid: number, sync: Socket, exited: Promise<number>, opts: LaunchOptions, io: SyncIO): Promise<Launched> {
  return new Promise<Launched>((resolve, reject) => {
    const session = new SyncSession(helper, helperPid, sync, opts, io, reject, (containerPid, lateError) =>
      resolve({ helper, containerPid, exited, detach: () => sync.destroy(), lateError }),
    );
    io.startError((e) => session.fail(e));
    // Lines are handled strictly in order: a sync answer must be written before later lines act.
    let buffered = '';
    sync.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        session.enqueue(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    sync.on('error', () => {
      /* EOF/ECONNRESET is reported through 'close' */
    });
    sync.on('close', () => session.closed());
    trace('spawned');
    // Placement in the next turn of the event loop: spawning and placing are the two longest
    // synchronous steps of a start, and an embedding server gets its turn between them.
    setImmediate(
      () =>
        void placeAndSend(
          helperPid,
          opts,
          io,
          () => session.settled,
          (e) => session.fail(e),
        ),
    );
  });
}

/** One launch's answers to hako-init's lines (`pid`, `sync`, `ready`, `error`), in order. */
class SyncSession {
  settled = false;
  private containerPid = 0;
  private readySeen = false;
  private late: string | undefined;
  private queue = Promise.resolve();

  constructor(
    private readonly helper: HelperProcess,
    private readonly helperPid: number,
    private readonly sync: Socket,
    private readonly opts: LaunchOptions,
    private readonly io: SyncIO,
    private readonly reject: (e: Error) => void,
    private readonly resolve: (containerPid: number, lateError: () => Promise<string | undefined>) => void,
  ) {}

  enqueue(line: string): void {
    this.queue = this.queue.then(() => this.handle(line));
  }

  closed(): void {
    void this.queue.then(() => this.fail(new HakoError('container init exited before it was ready')));
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    // Killed before its pipes close: a helper that saw them end first would add its own line
    // ("plan: ended without exec") to the error that is the real reason.
    for (const kill of [() => this.containerPid && process.kill(this.containerPid, 'SIGKILL'), () => this.helper.kill('SIGKILL')]) {
      try {
        kill();
      } catch {
        /* already gone */
      }
    }
    this.sync.destroy();
    this.io.abort();
    this.reject(err);
  }

  private async handle(line: string): Promise<void> {
    trace(`hako-init: ${line.slice(0, 200)}`);
    const [word, ...rest] = line.split(' ');
    const arg = rest.join(' ');
    if (word === 'pid') this.onPid(Number(arg));
    else if (word === 'sync') await this.onSync(arg);
    else if (word === 'ready') {
      // The container (the child) sends `ready`, hako-init (the parent) sends `pid` after the
      // fork: on a busy machine the child can be first. Ready means both.
      this.readySeen = true;
      if (this.containerPid) this.ready();
    } else if (word === 'error') {
      // After `ready` nobody awaits the outcome any more; the message must still reach the user.
      if (!this.settled) this.fail(new HakoError(arg));
      else if (this.late === undefined) this.late = arg;
      else this.opts.warn?.(arg);
    }
  }

  private onPid(pid: number): void {
    this.containerPid = pid;
    try {
      this.opts.onPid?.(pid, this.helperPid);
    } catch (e) {
      this.fail(e as Error);
    }
    if (this.readySeen) this.ready();
  }

  private async onSync(arg: string): Promise<void> {
    try {
      const payload = await this.opts.onSync?.(arg, { helperPid: this.helperPid, containerPid: this.containerPid });
      this.sync.write(payload ? `ok ${payload}\n` : 'ok\n');
    } catch (e) {
      this.sync.write(`error ${(e as Error).message.replace(/\n/g, ' ')}\n`);
      this.fail(e as Error);
    }
  }

  private ready(): void {
    if (this.settled) return;
    this.settled = true;
    // Give any line already sent after `ready` a turn of the event loop to be read.
    const lateError = () => new Promise<string | undefined>((r) => setImmediate(() => this.queue.then(() => r(this.late))));
    this.resolve(this.containerPid, lateError);
  }
}

/** Places the helper (beforePlan: its cgroup) and sends it the plan, unless the launch has ended. */
async function placeAndSend(
  helperPid: number,
  opts: LaunchOptions,
  io: { sendPlan(plan: Buffer): void },
  ended: () => boolean,
  fail: (e: Error) => void,
): Promise<void> {
  if (ended()) return;
  try {
    await opts.beforePlan?.(helperPid);
  } catch (e) {
    fail(e as Error);
    return;
  }
  if (ended()) return;
  trace('placed');
  io.sendPlan(opts.plan);
}

function signalNumber(name: string): number {
  return (osConstants.signals as Record<string, number>)[name] ?? 0;
}
