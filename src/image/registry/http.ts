// A small HTTP client over Node's http/https: streaming bodies, manual redirects (blob GETs are
// redirected to object storage; the Authorization header must not follow to another origin), an idle
// timeout, and system errors turned into one-line messages. No dependency needed for this much.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { HakoError, quote } from '../../util/errors.js';

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  /** A Buffer can be re-sent (after a 401 or a 307); a stream only once. */
  body?: Buffer | Readable;
  maxRedirects?: number;
  /** Abort when no data moves for this long. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, not yet read. Always consume or destroy it. */
  body: http.IncomingMessage;
  /** Final URL after redirects. */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function once(url: URL, req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!mod) return reject(new HakoError(`unsupported URL scheme in ${url.href}`));
    const r = mod.request(url, { method: req.method ?? 'GET', headers: req.headers, signal: req.signal }, (res) => {
      res.setTimeout(req.idleTimeoutMs ?? 60_000, () => res.destroy(new HakoError(`${url.host}: no data for ${(req.idleTimeoutMs ?? 60_000) / 1000}s`)));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: url.href });
    });
    r.setTimeout(req.idleTimeoutMs ?? 60_000, () => r.destroy(new HakoError(`${url.host}: request timed out`)));
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof HakoError) return reject(e);
      reject(new HakoError(`cannot reach ${url.host}: ${e.code ?? e.message}${e.code && e.message && !e.message.startsWith(e.code) ? ` (${e.message})` : ''}`));
    });
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
}

/** Reads a whole (small) body. `limit` protects against a server sending endless data. */
export async function readBody(res: HttpResponse, limit = 16 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.body.destroy();
      throw new HakoError(`${res.url}: response larger than ${limit} bytes`);
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

export function discard(res: HttpResponse): void {
  res.body.resume();
}

/** `new URL` that fails with a line naming what the URL was for: a registry sends Location headers
 *  and token realms of its choosing, and a malformed one is its error, not a TypeError of ours. */
export function parseUrl(what: string, url: string, base?: string | URL): URL {
  try {
    return new URL(url, base);
  } catch {
    throw new HakoError(`${what}: invalid URL ${quote(url, 200)}`);
  }
}

/** Sends a request and follows redirects for GET/HEAD (and re-sendable bodies). */
export async function httpRequest(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
  let current = parseUrl('request', url);
  let headers = { ...(req.headers ?? {}) };
  let method = req.method ?? 'GET';
  const origin = current.origin;
  for (let hops = 0; ; hops++) {
    const res = await once(current, { ...req, method, headers });
    const loc = res.headers.location;
    const canFollow = method === 'GET' || method === 'HEAD' || req.body === undefined || Buffer.isBuffer(req.body);
    if (!REDIRECTS.has(res.status) || !loc || !canFollow) return res;
    discard(res);
    if (hops >= (req.maxRedirects ?? 10)) throw new HakoError(`${url}: too many redirects`);
    const next = parseUrl(`${url}: redirect`, loc, current);
    if (current.protocol === 'https:' && next.protocol === 'http:') throw new HakoError(`${url}: refusing redirect from https to http (${next.href})`);
    if (next.origin !== origin) {
      // Credentials are for the registry only, never for the storage backend it redirects to.
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    }
    if (res.status === 303) method = 'GET';
    current = next;
  }
}
