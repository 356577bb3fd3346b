// One request as a route handler sees it: its parameters, its body, and the ways to answer — JSON,
// a stream (logs, events, stats, progress), or the connection itself (attach, exec: docker's
// "hijack"). A request that asked to upgrade (`Connection: Upgrade`, `Upgrade: tcp`) arrives on
// node:http's 'upgrade' event with a socket and no ServerResponse, so every answer is written either
// through the ServerResponse or, for those, as raw HTTP onto the socket. Both work the same on Node
// and in Bun's node:http (the compiled `hako`).
import type http from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { ApiError, badRequest } from './errors.js';

/** Headers on every answer: the API version and what docker's clients read from `_ping`. */
export const COMMON_HEADERS: Record<string, string> = {
  'Api-Version': '1.41',
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'hako (linux)',
};

/** The most a JSON body may be (docker's create bodies are a few kB). */
export const JSON_BODY_LIMIT = 4 * 1024 * 1024;

/** What a hijacked connection gives: the client's bytes (stdin) and where to write (stdout). */
export interface Hijacked {
  input: Readable;
  output: Writable;
  /** Ends the connection (output first, so the client reads everything). */
  end(): void;
}

export class Call {
  /** The route's `{name}` parameters. */
  params: Record<string, string> = {};
  /** The path without its version prefix. */
  path = '';
  /** The version the client asked for (its prefix), else ours. */
  version = '1.41';
  readonly query: URLSearchParams;
  private answered = false;

  constructor(
    readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse | undefined,
    private readonly socket: Duplex | undefined,
    readonly head: Buffer = Buffer.alloc(0),
  ) {
    this.query = new URL(req.url ?? '/', 'http://docker').searchParams;
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** Whether the answer has begun (a handler's later failure can then only end the connection). */
  get started(): boolean {
    return this.answered;
  }

  /** The client asked to upgrade the connection (docker's hijack for attach and exec). */
  get upgrade(): boolean {
    return this.socket !== undefined;
  }

  /** A query parameter as docker's booleans: 1/true/True yes; 0/false/absent/empty no. */
  bool(name: string, dflt = false): boolean {
    const v = this.query.get(name);
    if (v === null || v === '') return dflt;
    return !/^(0|false|no)$/i.test(v);
  }

  /** A query parameter as an integer, else `dflt`; a non-number is a 400 naming it. */
  int(name: string, dflt?: number): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return dflt;
    if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for "${name}": ${JSON.stringify(v.slice(0, 40))} is not an integer`);
    return Number(v);
  }

  /** The `filters` parameter, docker's JSON `{"key": ["v", …]}` (or the old `{"key": {"v": true}}`). */
  filters(): Record<string, string[]> {
    const raw = this.query.get('filters');
    if (!raw) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badRequest(`invalid filters: ${JSON.stringify(raw.slice(0, 80))} is not JSON`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('invalid filters: expected a JSON object');
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else if (v && typeof v === 'object') out[k] = Object.keys(v as object).filter((x) => (v as Record<string, unknown>)[x]);
      else throw badRequest(`invalid filters: "${k}" must be a list`);
    }
    return out;
  }

  /** The body, at most `limit` bytes (a larger one is a 413). */
  async body(limit = JSON_BODY_LIMIT): Promise<Buffer> {
    const chunks: Buffer[] = this.head.length ? [this.head] : [];
    let size = this.head.length;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new ApiError(413, `request body too large: more than ${limit} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** The body as JSON (an empty body is `{}`); malformed JSON is docker's 400. */
  async json<T = Record<string, unknown>>(): Promise<T> {
    const text = (await this.body()).toString('utf8');
    if (!text.trim()) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw badRequest(`invalid JSON body: ${(e as Error).message}`);
    }
  }

  /** Answers with a JSON value (or nothing for 204/304). */
  send(status: number, value?: unknown, headers: Record<string, string> = {}): void {
    const body = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    const type: Record<string, string> =
      value === undefined ? {} : { 'Content-Type': typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/json' };
    this.writeHead(status, { ...type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    this.finish(body);
  }

  /** docker's error body. */
  fail(status: number, message: string): void {
    this.send(status, { message });
  }

  /** Begins a streamed answer (chunked); the returned stream is ended by the caller. */
  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    if (this.res) {
      this.writeHead(status, { 'Content-Type': contentType, ...headers });
      this.res.flushHeaders();
      return this.res;
    }
    // An upgrade request answered without upgrading: the body runs until the connection closes.
    this.writeHead(status, { 'Content-Type': contentType, Connection: 'close', ...headers });
    return this.socket!;
  }

  /** docker's hijack: `101 UPGRADED` when the client asked to upgrade, else a 200 whose body is
   *  the raw stream until the connection closes. `contentType`: raw-stream (tty) or
   *  multiplexed-stream. */
  hijack(contentType: string): Hijacked {
    if (this.socket) {
      this.writeHead(101, { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }, 'UPGRADED');
      const socket = this.socket;
      (socket as Partial<import('node:net').Socket>).setTimeout?.(0);
      if (this.head.length) socket.unshift(this.head);
      return { input: socket, output: socket, end: () => socket.end() };
    }
    const out = this.stream(200, contentType, { Connection: 'close' });
    this.res!.socket?.setTimeout(0);
    return { input: this.req, output: out, end: () => out.end() };
  }

  private writeHead(status: number, headers: Record<string, string>, reason = STATUS_CODES[status] ?? ''): void {
    this.answered = true;
    const all = { ...COMMON_HEADERS, ...headers };
    if (this.res) {
      this.res.writeHead(status, reason, all);
      return;
    }
    const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
    this.socket!.write(`HTTP/1.1 ${status} ${reason}\r\n${lines.join('')}\r\n`);
  }

  private finish(body: string): void {
    if (this.res) this.res.end(body);
    else this.socket!.end(body);
  }
}
