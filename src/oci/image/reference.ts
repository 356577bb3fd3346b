// Image references, parsed the way docker and podman do (github.com/distribution/reference):
//   busybox                      -> docker.io/library/busybox:latest
//   localhost:5000/ns/name@sha256:<64 hex>
//   name:tag@digest              -> both kept; the digest is what gets pulled
// The first path component is a registry domain when it contains '.' or ':' or is 'localhost';
// otherwise the reference lives on docker.io, where one-component names get the 'library/' prefix.
import { clip, HakoError, quote } from '../../util/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** Where docker.io actually is: docker.io itself only redirects to the website. */
export const DOCKER_IO_REGISTRY = 'registry-1.docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
export const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME = 255;

export class ImageReference {
  constructor(
    readonly domain: string,
    /** Repository path inside the registry, e.g. `library/busybox`. */
    readonly path: string,
    readonly tag?: string,
    readonly digest?: string,
  ) {}

  /** `docker.io/library/busybox`: the repository without tag or digest. */
  get name(): string {
    return `${this.domain}/${this.path}`;
  }

  /** The registry host to contact (docker.io is served by registry-1.docker.io). */
  get registry(): string {
    return this.domain === DEFAULT_DOMAIN ? DOCKER_IO_REGISTRY : this.domain;
  }

  /** Tag or digest, as used in /v2/<name>/manifests/<reference>. The digest wins when both are set. */
  get manifestRef(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** Fully qualified: `docker.io/library/busybox:latest`, `host/ns/x@sha256:...`. */
  toString(): string {
    return `${this.name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** The short form docker prints: `busybox:latest`, `me/app:1`, `localhost:5000/x:y`. */
  familiar(): string {
    let name = this.name;
    if (this.domain === DEFAULT_DOMAIN) name = this.path.startsWith('library/') ? this.path.slice(8) : this.path;
    return `${name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  withTag(tag: string): ImageReference {
    if (!TAG.test(tag)) throw new HakoError(`invalid tag "${tag}"`);
    return new ImageReference(this.domain, this.path, tag, undefined);
  }

  withDigest(digest: string): ImageReference {
    if (!DIGEST.test(digest)) throw new HakoError(`invalid digest "${digest}"`);
    return new ImageReference(this.domain, this.path, undefined, digest);
  }
}

function bad(ref: string, why: string): never {
  throw new HakoError(`invalid image reference ${quote(ref, 512)}: ${clip(why, 200)}`);
}

/** Parses and normalizes `ref`. Without tag and digest the tag is `latest` (unless `defaultTag: false`). */
export function parseReference(ref: string, opts: { defaultTag?: boolean } = {}): ImageReference {
  if (typeof ref !== 'string' || ref === '') bad(String(ref), 'empty');
  if (/\s/.test(ref)) bad(ref, 'contains whitespace');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.includes('@')) bad(ref, "more than one '@'");
    if (!/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:/.test(digest)) bad(ref, `malformed digest "${digest}"`);
    if (!digest.startsWith('sha256:')) bad(ref, `unsupported digest algorithm "${digest.split(':')[0]}" (only sha256)`);
    if (!DIGEST.test(digest)) bad(ref, `digest must be sha256: followed by 64 lowercase hex digits`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(ref, `invalid tag "${tag}"`);
  }
  if (rest === '') bad(ref, 'missing repository name');
  if (rest.length > MAX_NAME) bad(ref, `repository name longer than ${MAX_NAME} characters`);

  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) bad(ref, `invalid registry host "${domain}"`);
    // The grammar (distribution/reference's) allows any digits as the port and any hex and colons
    // in brackets; what reaches the registry client must also be a host and port a URL can hold.
    const port = /:(\d+)$/.exec(domain)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) bad(ref, `registry port ${clip(port, 20)} is out of range (1-65535)`);
    try {
      new URL(`https://${domain}/`);
    } catch {
      bad(ref, `invalid registry host "${domain}"`);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  for (const p of parts) {
    if (p === '') bad(ref, 'empty path component');
    if (p !== p.toLowerCase()) bad(ref, 'repository name must be lowercase');
    if (!PATH_COMPONENT.test(p)) bad(ref, `invalid path component "${p}"`);
  }
  let path = parts.join('/');
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = `library/${path}`;
  if (!tag && !digest && opts.defaultTag !== false) tag = DEFAULT_TAG;
  return new ImageReference(domain, path, tag, digest);
}

/** True for a `sha256:<64 hex>` digest string. */
export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** Host part of a registry domain without the port: `localhost:5000` -> `localhost`, `[::1]:5` -> `::1`. */
export function registryHostname(domain: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(domain);
  if (m) return m[1];
  return domain.replace(/:\d+$/, '');
}

/** Loopback registries are contacted over plain http, like docker does for localhost. */
export function isLoopbackRegistry(domain: string): boolean {
  const h = registryHostname(domain).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
