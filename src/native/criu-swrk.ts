// `hako-init criu-swrk`: the carrier of CRIU's RPC (native/criu.c). CRIU's service speaks one
// message per SOCK_SEQPACKET packet, which Node and Bun cannot open; the helper makes the
// socketpair, starts `criu swrk FD` on the first message and relays whole messages to and from
// its fd 3, framed as u32le length + bytes. What the messages say is src/runtime/criu/'s business.
import { spawn, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { HakoError } from '../util/errors.js';
import { findHelper } from './find.js';

export interface CriuSwrkOptions {
  /** The criu executable. */
  criu: string;
  /** criu's fds 0-2 (a restore's inherit_fd names them); default: ignored, stderr collected. */
  stdio?: [StdioOptions[number], StdioOptions[number], StdioOptions[number]];
  /** Open descriptors criu gets at 4, 5, …: directory and namespace fds the request names. */
  extraFds?: number[];
  /** A descriptor criu sends (orphan-pts-master) goes to this console socket. */
  consoleSocket?: string;
  /** Foreground restore: the helper waits for the restored process and exits with its status. */
  reap?: boolean;
}

/** The fd criu sees extraFds[i] at: after 0-2 and the helper's relay (3). */
export const CRIU_EXTRA_FD_FIRST = 4;

export interface CriuSwrk {
  readonly pid: number;
  /** Sends one request; the first one starts criu. */
  send(message: Uint8Array): void;
  /** The next message from criu, or undefined once criu is gone. */
  receive(): Promise<Buffer | undefined>;
  /** Ends the session: criu's socket is closed and criu exits. */
  end(): void;
  /** The helper's exit status (criu's; the restored process's with `reap`), and what it said. */
  readonly exited: Promise<{ code: number; stderr: string }>;
}

export function startCriuSwrk(opts: CriuSwrkOptions): CriuSwrk {
  const args = ['criu-swrk', opts.criu, ...(opts.consoleSocket ? ['--console-socket', opts.consoleSocket] : []), ...(opts.reap ? ['--reap'] : [])];
  const stdio = [...(opts.stdio ?? ['ignore', 'ignore', 'pipe']), 'pipe', ...(opts.extraFds ?? [])] as StdioOptions;
  const helper = spawn(findHelper(), args, { stdio });
  const relay = helper.stdio[3] as Socket;
  let stderr = '';
  helper.stdio[2]?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const exited = new Promise<{ code: number; stderr: string }>((resolve) => {
    helper.once('error', (e) => resolve({ code: 127, stderr: `starting ${findHelper()}: ${e.message}` }));
    helper.once('close', (code, signal) => resolve({ code: code ?? 128 + (signal ? osConstants.signals[signal] : 0), stderr: stderr.trim() }));
  });
  const frames = new FrameReader(relay);
  return {
    pid: helper.pid ?? 0,
    send: (message) => relay.write(frame(message)),
    receive: () => frames.next(),
    end: () => {
      if (!relay.destroyed) relay.end(frame(new Uint8Array(0)));
    },
    exited,
  };
}

function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(message.length);
  return Buffer.concat([head, message]);
}

/** Cuts the relay's byte stream into messages; waiters get them in order. */
class FrameReader {
  private buf = Buffer.alloc(0);
  private ended = false;
  private waiting: ((m: Buffer | undefined) => void)[] = [];
  private ready: Buffer[] = [];

  constructor(sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.cut();
    });
    const end = () => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w(undefined);
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', () => {
      /* the helper died: 'close' follows */
    });
  }

  private cut(): void {
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32LE(0);
      if (this.buf.length < 4 + len) return;
      const msg = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      const w = this.waiting.shift();
      if (w) w(msg);
      else this.ready.push(msg);
    }
  }

  next(): Promise<Buffer | undefined> {
    const m = this.ready.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** criu-swrk's own failure (criu missing, a bad argument), as one line. */
export function criuSwrkError(stderr: string, fallback: string): HakoError {
  return new HakoError(stderr.replace(/^hako-init: /, '').split('\n')[0] || fallback);
}
