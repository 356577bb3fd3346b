// Client for the OCI distribution API (/v2/...): manifests, blobs with range resume, and push.
// Authentication follows the registry's lead: a request goes out with whatever we already have for
// that registry+repository+actions; a 401 carries a challenge, which we answer (Bearer: fetch a token
// from the realm; Basic: send the credentials file entry), cache, and retry once.
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { HakoError } from '../../util/errors.js';
import { isLoopbackRegistry, type ImageReference } from '../../oci/image/reference.js';
import { MANIFEST_ACCEPT, documentMediaType } from '../../oci/image/types.js';
import { httpRequest, parseUrl, readBody, discard, type HttpResponse } from './http.js';
import { parseWWWAuthenticate, loadCredentials, basicAuthHeader, fetchBearerToken, defaultAuthFile, type Credentials } from './auth.js';

export interface RegistryClientOptions {
  /** Registries (host[:port]) to contact over plain http; added to $HAKO_INSECURE_REGISTRIES. */
  insecure?: string[];
  /** Docker-format credentials file; default $REGISTRY_AUTH_FILE or ~/.docker/config.json. */
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

function sha256(b: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
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
    const host = ref.registry;
    const plain = isLoopbackRegistry(host) || this.insecure.has(host.toLowerCase()) || this.insecure.has(ref.domain.toLowerCase());
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  private credentials(ref: ImageReference): Credentials | undefined {
    if (this.opts.credentials) return this.opts.credentials(ref.domain);
    return loadCredentials(ref.domain, this.opts.authFile ?? defaultAuthFile());
  }

  /** Sends `/v2/<name>/<suffix>` (or an absolute upload URL) with auth, answering one 401. */
  async request(ref: ImageReference, actions: Actions, pathOrUrl: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable } = {}): Promise<HttpResponse> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl(ref)}/v2/${ref.path}/${pathOrUrl}`;
    const key = `${ref.registry}|${ref.path}|${actions}`;
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
    const challenges = parseWWWAuthenticate(Array.isArray(header) ? header.join(', ') : header ?? '');
    const creds = this.credentials(ref);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      // Ask for what this client will do with the repository (a HEAD during push is challenged for
      // `pull` only, but the token must also allow the POST/PUT that follow), plus any other scope
      // the registry named.
      const needed = `repository:${ref.path}:${actions}`;
      const scope = bearer.params.scope && bearer.params.scope !== needed && !bearer.params.scope.startsWith(`repository:${ref.path}:`) ? `${needed} ${bearer.params.scope}` : needed;
      this.auth.set(key, `Bearer ${await fetchBearerToken(bearer, scope, creds)}`);
    } else if (basic && creds) {
      this.auth.set(key, basicAuthHeader(creds));
    } else {
      throw new HakoError(`${ref.registry}: authentication required${basic ? ` (no credentials for ${ref.domain} in ${this.opts.authFile ?? defaultAuthFile()})` : ''}`);
    }
    if (!canRetry) throw new HakoError(`${ref.registry}: authentication required for a streamed upload (authenticate first)`);
    res = await send();
    if (res.status === 401) {
      discard(res);
      throw new HakoError(`${ref.registry}: unauthorized for ${ref.path} (${actions})${creds ? '' : `: no credentials for ${ref.domain}`}`);
    }
    return res;
  }

  /** GETs a manifest or index by tag or digest; verifies the content when asked by digest. */
  async getManifest(ref: ImageReference, reference = ref.manifestRef, actions: Actions = 'pull'): Promise<FetchedManifest> {
    const res = await this.request(ref, actions, `manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT.join(', ') } });
    if (res.status !== 200) throw await registryError(`${ref.name}:${reference}`.replace(':sha256', '@sha256'), res);
    const body = await readBody(res, 4 << 20);
    const digest = sha256(body);
    if (reference.startsWith('sha256:') && digest !== reference) throw new HakoError(`manifest ${reference} from ${ref.registry}: digest mismatch, content hashes to ${digest}`);
    let ct = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    let doc: { mediaType?: string };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HakoError(`manifest ${ref.name}:${reference}: not valid JSON`);
    }
    if (doc.mediaType) ct = doc.mediaType;
    else if (!MANIFEST_ACCEPT.includes(ct as (typeof MANIFEST_ACCEPT)[number])) ct = documentMediaType(doc);
    if (!MANIFEST_ACCEPT.includes(ct as (typeof MANIFEST_ACCEPT)[number])) throw new HakoError(`manifest ${ref.name}:${reference}: unsupported media type "${ct}"`);
    return { digest, mediaType: ct, body };
  }

  /** HEADs a manifest: its digest, media type and size, or undefined when the registry has none. */
  async headManifest(ref: ImageReference, reference = ref.manifestRef): Promise<{ digest?: string; mediaType: string; size: number } | undefined> {
    const res = await this.request(ref, 'pull', `manifests/${reference}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT.join(', ') } });
    discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new HakoError(`${ref.name}:${reference}: HTTP ${res.status}`);
    const d = res.headers['docker-content-digest'];
    return { digest: typeof d === 'string' ? d : undefined, mediaType: String(res.headers['content-type'] ?? ''), size: Number(res.headers['content-length'] ?? 0) };
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

  /** Uploads a blob in one piece (POST to start, PUT with the data and digest), unless present. */
  async pushBlob(ref: ImageReference, digest: string, size: number, open: () => Readable): Promise<'exists' | 'uploaded'> {
    if (await this.blobExists(ref, digest, 'pull,push')) return 'exists';
    const start = await this.request(ref, 'pull,push', 'blobs/uploads/', { method: 'POST', headers: { 'content-length': '0' }, body: Buffer.alloc(0) });
    if (start.status !== 202) throw await registryError(`start upload of ${digest} to ${ref.name}`, start);
    discard(start);
    const loc = start.headers.location;
    if (!loc) throw new HakoError(`start upload of ${digest} to ${ref.name}: no Location header`);
    const url = parseUrl(`start upload of ${digest} to ${ref.name}: Location`, loc, `${this.baseUrl(ref)}/`);
    url.searchParams.set('digest', digest);
    const put = await this.request(ref, 'pull,push', url.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: open(),
    });
    if (put.status !== 201) throw await registryError(`upload of ${digest} to ${ref.name}`, put);
    discard(put);
    return 'uploaded';
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
