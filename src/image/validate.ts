// Image documents (index, manifest, config) come from registries and archives: untrusted JSON.
// Each is checked here, once, for the types of the fields hako reads, so that a wrong one fails as
// one line naming the document and the field (`manifest sha256:…: layers[2].size: must be …`)
// instead of a TypeError deep in the engine. Like config.json (oci/validate.ts), unknown
// fields are allowed and null counts as absent.
import { HakoError } from '../util/errors.js';
import type { ImageConfig, ImageIndex, ImageManifest } from '../oci/image/types.js';

type Obj = Record<string, unknown>;

function what(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'object') return 'an object';
  return String(typeof v);
}

function field(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function bad(doc: string, path: string, problem: string): never {
  throw new HakoError(`${doc}: ${path || '(the document)'}: ${problem}`);
}

function object(doc: string, path: string, v: unknown): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(doc, path, `must be an object (got ${what(v)})`);
  return v as Obj;
}

function string(doc: string, path: string, v: unknown): string {
  if (typeof v !== 'string') bad(doc, path, `must be a string (got ${what(v)})`);
  if (v.includes('\0')) bad(doc, path, 'must not contain a NUL byte');
  return v;
}

function strings(doc: string, path: string, v: unknown): string[] {
  if (!Array.isArray(v)) bad(doc, path, `must be an array of strings (got ${what(v)})`);
  v.forEach((s, i) => string(doc, field(path, i), s));
  return v as string[];
}

function stringMap(doc: string, path: string, v: unknown): Record<string, string> {
  const o = object(doc, path, v);
  for (const [k, x] of Object.entries(o)) string(doc, field(path, k), x);
  return o as Record<string, string>;
}

/** Optional: absent or null is fine (null is removed, so the rest of hako sees undefined). */
function opt(doc: string, o: Obj, path: string, key: string, check: (doc: string, path: string, v: unknown) => unknown): void {
  if (o[key] === null) delete o[key];
  else if (o[key] !== undefined) check(doc, field(path, key), o[key]);
}

function req(doc: string, o: Obj, path: string, key: string, check: (doc: string, path: string, v: unknown) => unknown): void {
  if (o[key] === undefined || o[key] === null) bad(doc, field(path, key), 'missing');
  check(doc, field(path, key), o[key]);
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function descriptor(doc: string, path: string, v: unknown): void {
  const d = object(doc, path, v);
  opt(doc, d, path, 'mediaType', string);
  req(doc, d, path, 'digest', (dc, p, x) => {
    if (!DIGEST.test(string(dc, p, x))) bad(dc, p, `not a digest (got ${JSON.stringify(String(x).slice(0, 80))})`);
  });
  req(doc, d, path, 'size', (dc, p, x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) bad(dc, p, `must be a size in bytes (got ${what(x)})`);
  });
  opt(doc, d, path, 'annotations', stringMap);
  opt(doc, d, path, 'urls', strings);
  opt(doc, d, path, 'platform', (dc, p, x) => {
    const pl = object(dc, p, x);
    for (const k of ['architecture', 'os', 'variant', 'os.version']) opt(dc, pl, p, k, string);
    opt(dc, pl, p, 'os.features', strings);
    opt(dc, pl, p, 'features', strings);
  });
}

function descriptors(doc: string, path: string, v: unknown): void {
  if (!Array.isArray(v)) bad(doc, path, `must be an array (got ${what(v)})`);
  v.forEach((d, i) => descriptor(doc, field(path, i), d));
}

/** Parses a document's text: a syntax error is the document's, said in one line. */
export function parseDocument(doc: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HakoError(`${doc}: invalid JSON (${(e as Error).message})`);
  }
}

/** An image index (or docker manifest list); `doc` names it in messages. */
export function checkIndex(doc: string, v: unknown): ImageIndex {
  const o = object(doc, '', v);
  opt(doc, o, '', 'mediaType', string);
  req(doc, o, '', 'manifests', descriptors);
  opt(doc, o, '', 'annotations', stringMap);
  return o as unknown as ImageIndex;
}

/** An image manifest (OCI or docker schema 2). */
export function checkManifest(doc: string, v: unknown): ImageManifest {
  const o = object(doc, '', v);
  if (o.schemaVersion !== 2) bad(doc, 'schemaVersion', `must be 2 (got ${what(o.schemaVersion)})`);
  opt(doc, o, '', 'mediaType', string);
  req(doc, o, '', 'config', descriptor);
  req(doc, o, '', 'layers', descriptors);
  opt(doc, o, '', 'annotations', stringMap);
  return o as unknown as ImageManifest;
}

/** An image config: what the engine turns into a container (config.Env, Cmd, User, …). */
export function checkImageConfig(doc: string, v: unknown): ImageConfig {
  const o = object(doc, '', v);
  for (const k of ['architecture', 'os', 'variant', 'created', 'author']) opt(doc, o, '', k, string);
  opt(doc, o, '', 'config', (dc, p, x) => {
    const c = object(dc, p, x);
    for (const k of ['User', 'WorkingDir', 'StopSignal']) opt(dc, c, p, k, string);
    for (const k of ['Env', 'Entrypoint', 'Cmd', 'Shell', 'OnBuild']) opt(dc, c, p, k, strings);
    opt(dc, c, p, 'Labels', stringMap);
    for (const k of ['ExposedPorts', 'Volumes']) {
      opt(dc, c, p, k, (d2, p2, y) => {
        for (const [key, z] of Object.entries(object(d2, p2, y))) if (z !== null) object(d2, field(p2, key), z);
      });
    }
    opt(dc, c, p, 'Healthcheck', object);
  });
  req(doc, o, '', 'rootfs', (dc, p, x) => {
    const r = object(dc, p, x);
    opt(dc, r, p, 'type', string);
    req(dc, r, p, 'diff_ids', strings);
  });
  opt(doc, o, '', 'history', (dc, p, x) => {
    if (!Array.isArray(x)) bad(dc, p, `must be an array (got ${what(x)})`);
    x.forEach((h, i) => {
      const e = object(dc, field(p, i), h);
      for (const k of ['created', 'created_by', 'comment', 'author']) opt(dc, e, field(p, i), k, string);
    });
  });
  return o as unknown as ImageConfig;
}
