// `hako attach` and the Docker API's hijacked attach: a running container's stdio, live, through
// conmon's attach socket (`<bundle>/attach`, SOCK_SEQPACKET, as podman's attach uses it). Node and
// Bun cannot open that socket type, so hako-init relays it (`attach-relay`, native/attach.c) in
// docker's attach stream frames; this module demultiplexes them onto the caller's streams, watches
// the caller's stdin for the detach keys (ctrl-p ctrl-q) and learns the exit status from conmon's
// exit file as soon as it is written (a `--rm` container may be gone by the time the socket closes).
// The caller owns its streams: a terminal's raw mode, signals (`--sig-proxy`) and window size
// (resizeAttachedTty) are the CLI's.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { spawnAttachRelay } from '../native/modes.js';
import { HakoError } from '../util/errors.js';
import { procStat } from '../util/proc.js';
import { sleep } from '../util/sleep.js';
import type { Engine } from './engine.js';
import { readOr } from './monitor.js';

export interface AttachIo {
  /** Sent to the container's stdin; ignored for a container created without -i (docker's rule). */
  stdin?: Readable;
  stdout: Writable;
  /** The container's stderr (with a terminal, everything arrives on stdout). */
  stderr: Writable;
}

export interface AttachOptions {
  /** docker's `--detach-keys` ("ctrl-p,ctrl-q" when undefined); '' turns detaching off (podman's rule). */
  detachKeys?: string;
  /** Aborting ends the attachment (say, the API client hung up); the container keeps running. */
  signal?: AbortSignal;
}

export interface AttachResult {
  /** `exited`: the container's output ended because it exited; `detached`: the detach keys were
   *  read from stdin; `closed`: `signal` aborted. */
  end: 'exited' | 'detached' | 'closed';
  /** With `exited`: the container's exit status, when conmon's record of it could be read. */
  exitCode?: number;
}

const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';
// moby/term's names for the control characters 0..31 (ctrl-@ is NUL, ctrl-a is 1, …).
const CONTROL_NAMES = ['@', ...'abcdefghijklmnopqrstuvwxyz', '[', '\\', ']', '^', '_'];

/** docker's `--detach-keys` syntax: comma-separated keys, each one character or `ctrl-X`.
 *  Returns the bytes to look for; undefined for '' (no detaching). */
export function parseDetachKeys(spec: string | undefined): Buffer | undefined {
  const keys = spec ?? DEFAULT_DETACH_KEYS;
  if (keys === '') return undefined;
  const bytes = keys.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-(.)$/i.exec(key);
    const code = m ? CONTROL_NAMES.indexOf(m[1].toLowerCase()) : -1;
    if (code < 0) throw new HakoError(`--detach-keys ${keys}: unknown key "${key}" (one character, or ctrl- with a letter or one of @[\\]^_)`);
    return code;
  });
  return Buffer.from(bytes);
}

/** Finds the detach sequence in a byte stream split anywhere (moby/term's escape proxy): bytes
 *  that may begin the sequence are held back until the next byte decides. */
export class DetachKeyScanner {
  private held = 0;
  constructor(private readonly keys: Buffer) {}

  /** What to pass on from `chunk`, and whether the sequence was completed (what follows it is dropped). */
  scan(chunk: Buffer): { pass: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detach: true };
        continue;
      }
      // A mismatch: what was held was data after all; this byte may start the sequence anew.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]);
      this.held = 0;
      if (byte === this.keys[0]) this.held = 1;
      else out.push(byte);
    }
    return { pass: Buffer.from(out), detach: false };
  }
}

/** Splits docker's attach stream frames (8-byte header: stream 1 or 2, length big endian). */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, emit: (stream: 1 | 2, data: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      emit(this.buf[0] === 2 ? 2 : 1, this.buf.subarray(8, 8 + len));
      this.buf = this.buf.subarray(8 + len);
    }
  }
}

/** The attach socket's directory of a running container, or a one-line reason why there is none. */
function attachDir(engine: Engine, id: string, ref: string, status: string, paused: boolean): string {
  if (status !== 'running') throw new HakoError(`cannot attach to container ${ref}: it is ${status}; start it first`);
  if (paused) throw new HakoError(`cannot attach to container ${ref}: it is paused; unpause it first`);
  const dir = engine.store.bundleDir(id);
  if (!fs.existsSync(path.join(dir, 'attach')))
    throw new HakoError(`cannot attach to container ${ref}: it runs in the foreground of the hako that started it with -i/-t, which holds its terminal`);
  return dir;
}

/** Attaches `io` to the running container `ref` until it exits, the detach keys are read from
 *  stdin, or `opts.signal` aborts. Only output written from now on is seen (docker's attach without
 *  logs). */
export async function attachContainer(engine: Engine, ref: string, io: AttachIo, opts: AttachOptions = {}): Promise<AttachResult> {
  const id = engine.store.resolve(ref);
  const cfg = engine.store.readConfig(id);
  const st = await engine.refresh(id);
  const dir = attachDir(engine, id, ref, st.status, Boolean(st.paused));
  const keys = parseDetachKeys(opts.detachKeys);
  const exitFile = path.join(engine.store.exitDir(id), id);
  const exit = new ExitStatusWatch(engine.store.exitDir(id), exitFile);
  try {
    const end = await relay(dir, cfg.options.interactive ? io.stdin : undefined, io, keys, opts.signal);
    if (end !== 'exited') return { end };
    return { end, exitCode: await exit.settle(st.monitorPid, st.monitorStartTime) };
  } finally {
    exit.close();
  }
}

/** Runs hako-init's relay between `dir`/attach and the streams; how it ended. */
function relay(dir: string, stdin: Readable | undefined, io: AttachIo, keys: Buffer | undefined, signal?: AbortSignal): Promise<AttachResult['end']> {
  const child = spawnAttachRelay(dir);
  const frames = new FrameReader();
  let stderr = '';
  return new Promise((resolve, reject) => {
    let ended: AttachResult['end'] | undefined;
    const finish = (how: AttachResult['end']) => {
      if (ended) return;
      ended = how;
      stopInput();
      if (how !== 'exited') child.kill('SIGKILL');
    };
    const stopInput = pipeInput(stdin, child.stdin, keys, () => finish('detached'));
    const onAbort = () => finish('closed');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) =>
      frames.push(chunk, (stream, data) => {
        const out = stream === 2 ? io.stderr : io.stdout;
        if (!out.write(data)) {
          child.stdout.pause();
          out.once('drain', () => child.stdout.resume());
        }
      }),
    );
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', (e) => reject(new HakoError(`attach: starting hako-init: ${e.message}`)));
    child.once('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (ended) return resolve(ended);
      finish('exited');
      if (code === 0) return resolve('exited');
      reject(new HakoError(`attach: ${stderr.trim().replace(/^hako-init: /, '') || `hako-init exited with status ${code}`}`));
    });
  });
}

/** Copies `stdin` into the relay until its end (then half-closes) or the detach keys; returns a
 *  function that stops reading it. */
function pipeInput(stdin: Readable | undefined, to: Writable, keys: Buffer | undefined, onDetach: () => void): () => void {
  to.on('error', () => {
    /* the relay is gone: its close reports why */
  });
  if (!stdin) {
    to.end();
    return () => {};
  }
  const scanner = keys ? new DetachKeyScanner(keys) : undefined;
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const { pass, detach } = scanner ? scanner.scan(bytes) : { pass: bytes, detach: false };
    if (pass.length && !to.write(pass)) {
      stdin.pause();
      to.once('drain', () => stdin.resume());
    }
    if (detach) onDetach();
  };
  const onEnd = () => to.end();
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  };
}

/** Reads conmon's exit file as soon as it appears: the exit command of a `--rm` container removes
 *  the container (and the file) before conmon closes the attach socket. */
class ExitStatusWatch {
  private seen?: number;
  private readonly watcher?: fs.FSWatcher;

  constructor(
    dir: string,
    private readonly file: string,
  ) {
    try {
      this.watcher = fs.watch(dir, () => this.read());
      this.watcher.on('error', () => {
        /* removed with the container: what was seen stays */
      });
    } catch {
      /* no exit directory: code() reads the file once at the end */
    }
  }

  private read(): void {
    const text = readOr(this.file, '');
    if (/^\d+$/.test(text)) this.seen = Number(text);
  }

  /** The status, once conmon (`monitorPid`) has written it: it may close the attach socket before
   *  it writes the exit file. undefined when conmon ends without one (or after 10 s). */
  async settle(monitorPid: number | undefined, startTime: string | undefined): Promise<number | undefined> {
    const end = Date.now() + 10_000;
    for (;;) {
      this.read();
      if (this.seen !== undefined || Date.now() > end) return this.seen;
      const monitor = monitorPid ? procStat(monitorPid) : undefined;
      const alive = !!monitor && monitor.state !== 'Z' && monitor.startTime === startTime;
      if (!alive) {
        this.read();
        return this.seen;
      }
      await sleep(10);
    }
  }

  close(): void {
    this.watcher?.close();
  }
}

/** Sets the terminal size of a running `-t` container (conmon's control FIFO, `1 ROWS COLS`, as
 *  podman's AttachResize); the container gets SIGWINCH. */
export function resizeAttachedTty(engine: Engine, ref: string, rows: number, cols: number): void {
  const id = engine.store.resolve(ref);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows > 65535 || cols > 65535)
    throw new HakoError(`resize: the height and width must be whole numbers from 1 to 65535, got ${rows}x${cols}`);
  const ctl = path.join(engine.store.bundleDir(id), 'ctl');
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO nobody reads (conmon gone) fails at once with ENXIO instead of hanging.
    fd = fs.openSync(ctl, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new HakoError(`cannot resize container ${ref}: it is not running under conmon (${(e as NodeJS.ErrnoException).code})`);
  }
  try {
    fs.writeSync(fd, `1 ${rows} ${cols}\n`);
  } finally {
    fs.closeSync(fd);
  }
}
