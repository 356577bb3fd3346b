// Client for the OCI distribution API (/v2/...): manifests, blobs with range resume, and push.
// Authentication follows the registry's lead: a request goes out with whatever we already have for
// that registry+repository+actions; a 401 carries a challenge, which we answer (Bearer: fetch a token
// from the realm; Basic: send the credentials file entry), cache, and retry once.
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { HakoError } from '../../util/errors.js';
import { isLoopbackRegistry, DEFAULT_DOMAIN, DOCKER_IO_REGISTRY, ImageReference } from '../../oci/image/reference.js';
import { MANIFEST_ACCEPT, documentMediaType } from '../../oci/image/types.js';
import { httpRequest, parseUrl, readBody, discard, type HttpResponse } from './http.js';
import { parseWWWAuthenticate, loadCredentials, basicAuthHeader, fetchBearerToken, type Credentials } from './auth.js';
import { authFiles, findCredentials } from './credentials.js';

export interface RegistryClientOptions {
  /** Registries (host[:port]) to contact over plain http; added to $HAKO_INSECURE_REGISTRIES. */
  insecure?: string[];
  /** Docker-format credentials file; default: credentials.ts's authFiles() (hako's, then docker's). */
  authFile?: string;
  /** Explicit credentials, overriding the file. */
  credentials?: (domain: string) => Credentials | undefined;
  userAgent?: string;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

type Actions = 'pull' | 'pull,push';

interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Bearer scopes needed besides this repository's (a cross-repository mount reads another). */
  scopes?: string[];
}

/** How a blob reached the registry. */
export type BlobPushResult = { result: 'exists' | 'uploaded' } | { result: 'mounted'; from: string };

export interface BlobPushOptions {
  /** Repositories on the same registry that may hold the blob: tried with a cross-repository mount. */
  mountFrom?: string[];
  /** Blobs larger than this go up in PATCH chunks of this size; others in one PUT. */
  chunkSize?: number;
}

/** A byte range of a blob, inclusive, for a chunk. */
export type OpenBlob = (range?: { start: number; end: number }) => Readable;

function sha256(b: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Turns a registry error response into one line: `manifest unknown: ...`. */
async function registryError(what: string, res: HttpResponse): Promise<HakoError> {
  let detail = `HTTP ${res.status}`;
  try {
    const body = await readBody(res, 64 << 10);
    const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    if (doc.errors?.length) detail = doc.errors.map((e) => [e.code?.toLowerCase().replace(/_/g, ' '), e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    /* not a JSON error document */
  }
  return new HakoError(`${what}: ${detail}`);
}

export class RegistryClient {
  private readonly insecure: Set<string>;
  private readonly auth = new Map<string, string>(); // registry|repo|actions -> Authorization value

  constructor(private readonly opts: RegistryClientOptions = {}) {
    const env = (process.env.HAKO_INSECURE_REGISTRIES ?? '').split(/[,\s]+/).filter(Boolean);
    this.insecure = new Set([...env, ...(opts.insecure ?? [])].map((s) => s.toLowerCase()));
  }

  /** `https://registry-1.docker.io`, or http for loopback and insecure registries. */
  baseUrl(ref: ImageReference): string {
    return this.registryUrl(ref.domain);
  }

  /** The same for a registry domain as references name it (`docker.io`, `127.0.0.1:5000`). */
  registryUrl(domain: string): string {
    const host = domain === DEFAULT_DOMAIN ? DOCKER_IO_REGISTRY : domain;
    const plain = isLoopbackRegistry(host) || this.insecure.has(host.toLowerCase()) || this.insecure.has(domain.toLowerCase());
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  private credentials(ref: ImageReference): Credentials | undefined {
    if (this.opts.credentials) return this.opts.credentials(ref.domain);
    if (this.opts.authFile) return loadCredentials(ref.domain, this.opts.authFile);
    return findCredentials(ref.domain, authFiles());
  }

  /** Sends `/v2/<name>/<suffix>` (or an absolute upload URL) with auth, answering one 401. */
  async request(ref: ImageReference, actions: Actions, pathOrUrl: string, init: RequestInit = {}): Promise<HttpResponse> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl(ref)}/v2/${ref.path}/${pathOrUrl}`;
    const extra = init.scopes ?? [];
    const key = `${ref.registry}|${ref.path}|${actions}|${extra.join(' ')}`;
    const send = () => {
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'hako/0.1', ...(init.headers ?? {}) };
      const a = this.auth.get(key);
      if (a) headers.authorization = a;
      return httpRequest(url, { method: init.method, headers, body: init.body });
    };
    let res = await send();
    if (res.status !== 401) return res;
    const header = res.headers['www-authenticate'];
    discard(res);
    const canRetry = init.body === undefined || Buffer.isBuffer(init.body);
    const challenges = parseWWWAuthenticate(Array.isArray(header) ? header.join(', ') : (header ?? ''));
    const creds = this.credentials(ref);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      // Ask for what this client will do with the repository (a HEAD during push is challenged for
      // `pull` only, but the token must also allow the POST/PUT that follow), plus any other scope
      // the registry named.
      const needed = [`repository:${ref.path}:${actions}`, ...extra].join(' ');
      const scope =
        bearer.params.scope && bearer.params.scope !== needed && !bearer.params.scope.startsWith(`repository:${ref.path}:`)
          ? `${needed} ${bearer.params.scope}`
          : needed;
      this.auth.set(key, `Bearer ${await fetchBearerToken(bearer, scope, creds)}`);
    } else if (basic && creds) {
      this.auth.set(key, basicAuthHeader(creds));
    } else {
      throw new HakoError(
        `${ref.registry}: authentication required${basic ? ` (no credentials for ${ref.domain} in ${this.opts.authFile ?? authFiles().join(' or ')})` : ''}`,
      );
    }
    if (!canRetry) throw new HakoError(`${ref.registry}: authentication required for a streamed upload (authenticate first)`);
    res = await send();
    if (res.status === 401) {
      discard(res);
      throw new HakoError(`${ref.registry}: unauthorized for ${ref.path} (${actions})${creds ? '' : `: no credentials for ${ref.domain}`}`);
    }
    return res;
  }

  /** GETs `path` (`/v2/_catalog?n=100`, `/v1/search?q=x`) of the registry `domain`, answering a
   *  401 as for a repository (a Bearer token with `scopes`), and returns the parsed JSON body and the
   *  `Link` header (the catalog's next page). A status other than 200 is an error naming it. */
  async getRegistryJSON(domain: string, path: string, scopes: string[] = []): Promise<{ status: number; json?: unknown; link?: string }> {
    const ref = parseReferenceOn(domain);
    const res = await this.request(ref, 'pull', `${this.registryUrl(domain)}${path}`, { scopes });
    if (res.status !== 200) {
      discard(res);
      return { status: res.status };
    }
    const body = await readBody(res, 8 << 20);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HakoError(`${domain}${path.split('?')[0]}: the answer is not JSON`);
    }
    const link = res.headers.link;
    return { status: 200, json, link: Array.isArray(link) ? link[0] : link };
  }

  /** GETs a manifest or index by tag or digest; verifies the content when asked by digest. */
  async getManifest(ref: ImageReference, reference = ref.manifestRef, actions: Actions = 'pull'): Promise<FetchedManifest> {
    const res = await this.request(ref, actions, `manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT.join(', ') } });
    if (res.status !== 200) throw await registryError(`${ref.name}:${reference}`.replace(':sha256', '@sha256'), res);
    const body = await readBody(res, 4 << 20);
    const digest = sha256(body);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new HakoError(`manifest ${reference} from ${ref.registry}: digest mismatch, content hashes to ${digest}`);
    let ct = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    let doc: { mediaType?: string };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HakoError(`manifest ${ref.name}:${reference}: not valid JSON`);
    }
    if (doc.mediaType) ct = doc.mediaType;
    else if (!MANIFEST_ACCEPT.includes(ct as (typeof MANIFEST_ACCEPT)[number])) ct = documentMediaType(doc);
    if (!MANIFEST_ACCEPT.includes(ct as (typeof MANIFEST_ACCEPT)[number]))
      throw new HakoError(`manifest ${ref.name}:${reference}: unsupported media type "${ct}"`);
    return { digest, mediaType: ct, body };
  }

  /** HEADs a manifest: its digest, media type and size, or undefined when the registry has none. */
  async headManifest(ref: ImageReference, reference = ref.manifestRef): Promise<{ digest?: string; mediaType: string; size: number } | undefined> {
    const res = await this.request(ref, 'pull', `manifests/${reference}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT.join(', ') } });
    discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new HakoError(`${ref.name}:${reference}: HTTP ${res.status}`);
    const d = res.headers['docker-content-digest'];
    return {
      digest: typeof d === 'string' ? d : undefined,
      mediaType: String(res.headers['content-type'] ?? ''),
      size: Number(res.headers['content-length'] ?? 0),
    };
  }

  /** GETs a blob from `offset` (a Range request). The returned offset is where the data really starts:
   *  0 when the server ignored the range. */
  async fetchBlob(ref: ImageReference, digest: string, offset = 0): Promise<{ stream: Readable; offset: number }> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let res = await this.request(ref, 'pull', `blobs/${digest}`, { headers });
    if (res.status === 416 && offset > 0) {
      discard(res);
      res = await this.request(ref, 'pull', `blobs/${digest}`);
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
      const start = m ? Number(m[1]) : NaN;
      if (start !== offset) {
        discard(res);
        throw new HakoError(`blob ${digest}: server answered range ${offset}- with "${res.headers['content-range']}"`);
      }
      return { stream: res.body, offset };
    }
    if (res.status === 200) return { stream: res.body, offset: 0 };
    throw await registryError(`blob ${digest} of ${ref.name}`, res);
  }

  async blobExists(ref: ImageReference, digest: string, actions: Actions = 'pull'): Promise<boolean> {
    const res = await this.request(ref, actions, `blobs/${digest}`, { method: 'HEAD' });
    discard(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new HakoError(`blob ${digest} of ${ref.name}: HTTP ${res.status}`);
  }

  /** Uploads a blob unless the registry has it: first a cross-repository mount from each of
   *  `mountFrom` (201: done; 202: the registry opened a plain upload instead), then the data in one
   *  PUT, or in PATCH chunks when it is larger than `chunkSize`, closed by a PUT with the digest. */
  async pushBlob(ref: ImageReference, digest: string, size: number, open: OpenBlob, opts: BlobPushOptions = {}): Promise<BlobPushResult> {
    if (await this.blobExists(ref, digest, 'pull,push')) return { result: 'exists' };
    let location: string | undefined;
    for (const from of opts.mountFrom ?? []) {
      if (from === ref.path) continue;
      const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
      const res = await this.request(ref, 'pull,push', `blobs/uploads/?${query}`, {
        method: 'POST',
        headers: { 'content-length': '0' },
        body: Buffer.alloc(0),
        scopes: [`repository:${from}:pull`],
      });
      if (res.status === 201) {
        discard(res);
        return { result: 'mounted', from };
      }
      if (res.status !== 202) throw await registryError(`mount of ${digest} from ${from} to ${ref.name}`, res);
      discard(res);
      location = this.uploadLocation(ref, digest, res);
      break; // the registry started an ordinary upload: use it
    }
    location ??= await this.startUpload(ref, digest);
    if (opts.chunkSize && opts.chunkSize > 0 && size > opts.chunkSize) location = await this.patchChunks(ref, digest, size, open, location, opts.chunkSize);
    const url = parseUrl(`upload of ${digest} to ${ref.name}: Location`, location);
    url.searchParams.set('digest', digest);
    const chunked = Boolean(opts.chunkSize && size > opts.chunkSize);
    const put = await this.request(ref, 'pull,push', url.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunked ? 0 : size) },
      body: chunked ? Buffer.alloc(0) : open(),
    });
    if (put.status !== 201) throw await registryError(`upload of ${digest} to ${ref.name}`, put);
    discard(put);
    return { result: 'uploaded' };
  }

  /** POST /blobs/uploads/: the session's absolute URL. */
  private async startUpload(ref: ImageReference, digest: string): Promise<string> {
    const start = await this.request(ref, 'pull,push', 'blobs/uploads/', { method: 'POST', headers: { 'content-length': '0' }, body: Buffer.alloc(0) });
    if (start.status !== 202) throw await registryError(`start upload of ${digest} to ${ref.name}`, start);
    discard(start);
    return this.uploadLocation(ref, digest, start);
  }

  private uploadLocation(ref: ImageReference, digest: string, res: HttpResponse): string {
    const loc = res.headers.location;
    if (!loc) throw new HakoError(`upload of ${digest} to ${ref.name}: no Location header`);
    return parseUrl(`upload of ${digest} to ${ref.name}: Location`, loc, `${this.baseUrl(ref)}/`).href;
  }

  /** Sends the blob in PATCH requests of `chunkSize` bytes (Content-Range `start-end`), each to the
   *  Location the previous one returned; checks the Range the registry acknowledges. */
  private async patchChunks(ref: ImageReference, digest: string, size: number, open: OpenBlob, location: string, chunkSize: number): Promise<string> {
    for (let start = 0; start < size; start += chunkSize) {
      const end = Math.min(size, start + chunkSize) - 1;
      const chunk = await readAll(open({ start, end }));
      if (chunk.length !== end - start + 1) throw new HakoError(`upload of ${digest}: blob shorter than its size ${size}`);
      const res = await this.request(ref, 'pull,push', location, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end}`, 'content-length': String(chunk.length) },
        body: chunk,
      });
      if (res.status !== 202) throw await registryError(`upload of ${digest} to ${ref.name} (bytes ${start}-${end})`, res);
      discard(res);
      const acked = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
      if (acked && Number(acked[1]) !== end) throw new HakoError(`upload of ${digest} to ${ref.name}: registry has bytes 0-${acked[1]}, sent up to ${end}`);
      location = this.uploadLocation(ref, digest, res);
    }
    return location;
  }

  /** PUTs a manifest or index under a tag or digest; returns the digest the registry reports. */
  async putManifest(ref: ImageReference, reference: string, mediaType: string, body: Buffer): Promise<string> {
    const res = await this.request(ref, 'pull,push', `manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType, 'content-length': String(body.length) },
      body,
    });
    if (res.status !== 201) throw await registryError(`push manifest ${ref.name}:${reference}`, res);
    discard(res);
    return String(res.headers['docker-content-digest'] ?? sha256(body));
  }
}

/** A reference on `domain` that only keys the client's auth cache (a registry-wide request). */
function parseReferenceOn(domain: string): ImageReference {
  return new ImageReference(domain, '_registry');
}
