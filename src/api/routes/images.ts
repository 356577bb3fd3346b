// The images endpoints: `images/create` (pull, or import with fromSrc), `json`, `{name}/json`,
// `{name}/history`, `{name}/push`, `{name}/tag`, DELETE `{name}`, `load`, `get` and `{name}/get`,
// `prune`, and `distribution/{name}/json`. Each is the engine library's call (pull, push,
// loadImageStream, saveArchiveStream, …) with docker's parameters and docker's JSON around it.
import { HakoError } from '../../util/errors.js';
import {
  authFiles,
  findCredentials,
  familiarName,
  imageDocument,
  imageHistory,
  imageSummaries,
  importRootfs,
  loadImageStream,
  parsePlatform,
  parseReference,
  pull,
  pullMessages,
  push,
  pushMessages,
  RegistryClient,
  saveArchiveStream,
  ImageReference,
} from '../../image/index.js';
import { recordEvent } from '../../engine/events.js';
import { pruneLayers } from '../../engine/rootfs.js';
import { parsePruneFilters, pruneImages } from '../../engine/prune.js';
import type { Engine } from '../../engine/engine.js';
import type { ApiContext, Router } from '../router.js';
import type { Call } from '../call.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { JSONStream, registryAuth } from './json-stream.js';

export function register(r: Router, api: ApiContext): void {
  const e = api.engine;
  r.post('/images/create', (call) => (call.query.get('fromSrc') !== null ? importImage(e, call) : pullImage(e, call)));
  r.get('/images/json', (call) => call.send(200, listImages(e, call)));
  r.get('/images/get', (call) => saveImages(e, call, call.query.getAll('names')));
  r.post('/images/load', (call) => loadImages(e, call));
  r.post('/images/prune', async (call) => call.send(200, await prune(e, call)));
  r.get('/images/{name:.*}/json', (call) => call.send(200, inspectImage(e, call.params.name)));
  r.get('/images/{name:.*}/history', (call) => call.send(200, history(e, call.params.name)));
  r.get('/images/{name:.*}/get', (call) => saveImages(e, call, [call.params.name]));
  r.post('/images/{name:.*}/push', (call) => pushImage(e, call));
  r.post('/images/{name:.*}/tag', (call) => tagImage(e, call));
  r.delete('/images/{name:.*}', async (call) => call.send(200, await removeImage(e, call)));
  r.get('/distribution/{name:.*}/json', async (call) => call.send(200, await distribution(call)));
}

/** A reference from the client; a bad one is its 400 naming it. */
function reference(text: string, what = 'reference'): ImageReference {
  try {
    return parseReference(text);
  } catch (err) {
    throw badRequest(`invalid ${what} "${text}": ${(err as Error).message}`);
  }
}

/** docker's `fromImage` + `tag`: the tag joins a name without one (`@` for a digest). */
function pullReference(call: Call): ImageReference {
  const from = call.query.get('fromImage');
  if (!from) throw badRequest('fromImage or fromSrc is required');
  const tag = call.query.get('tag') ?? '';
  // A tag or digest written in fromImage wins (parseReference would add `latest` to a bare name).
  const tagged = from.includes('@') || from.slice(from.lastIndexOf('/') + 1).includes(':');
  if (!tag || tagged) return reference(from);
  return reference(tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`);
}

/** A client for registries with the request's X-Registry-Auth, else the stored credentials. */
function registryClient(call: Call): RegistryClient {
  const given = registryAuth(call.req.headers['x-registry-auth']);
  return new RegistryClient({ credentials: (domain) => given ?? findCredentials(domain, authFiles()) });
}

/** A registry's refusal worded as docker's 404 when the image is not there. */
function pullFailure(ref: ImageReference, err: unknown): unknown {
  if (err instanceof HakoError && /manifest unknown|name unknown|not found|404/i.test(err.message))
    return notFound(
      `pull access denied for ${new ImageReference(ref.domain, ref.path).familiar()}, repository does not exist or may require 'docker login': ${err.message}`,
    );
  return err;
}

async function pullImage(e: Engine, call: Call): Promise<void> {
  const ref = pullReference(call);
  const platformText = call.query.get('platform');
  const platform = platformText ? parsePlatform(platformText) : undefined;
  const out = new JSONStream(call);
  await out.run(async () => {
    await pull(ref, { store: e.images, client: registryClient(call), platform, onProgress: pullMessages(ref, ref.familiar(), out.emit) }).catch((err) => {
      throw out.started ? err : pullFailure(ref, err);
    });
    recordEvent(e.root, 'image', 'pull', ref.toString(), { name: ref.toString() });
  });
}

/** `fromSrc=-`: the body is a root filesystem tar, imported as `repo[:tag]`. */
async function importImage(e: Engine, call: Call): Promise<void> {
  if (call.query.get('fromSrc') !== '-') throw badRequest('fromSrc: only "-" (the request body) is supported, not a URL');
  const repo = call.query.get('repo');
  if (!repo) throw badRequest('repo is required to import an image');
  const tag = call.query.get('tag');
  const ref = reference(tag && !repo.includes('@') ? `${repo}:${tag}` : repo);
  const rec = await importRootfs(e.images, call.req, ref.toString(), { comment: call.query.get('message') ?? undefined });
  call.send(200, { status: rec.config });
}

function listImages(e: Engine, call: Call): Record<string, unknown>[] {
  const f = call.filters();
  const dangling = f.dangling?.[0];
  return imageSummaries(e.images, {
    reference: [...(f.reference ?? []), ...(call.query.get('filter') ? [call.query.get('filter')!] : [])],
    labels: f.label,
    dangling: dangling === undefined ? undefined : dangling === 'true' || dangling === '1',
  });
}

function inspectImage(e: Engine, name: string): Record<string, unknown> {
  if (!e.images.resolve(name)) throw notFound(`No such image: ${name}`);
  return imageDocument(e.images, name);
}

function history(e: Engine, name: string): Record<string, unknown>[] {
  if (!e.images.resolve(name)) throw notFound(`No such image: ${name}`);
  return imageHistory(e.images, name).map((h) => ({
    Id: h.ID,
    Created: h.CreatedAt ? Math.floor(Date.parse(h.CreatedAt) / 1000) || 0 : 0,
    CreatedBy: h.CreatedBy,
    Tags: null,
    Size: h.Size,
    Comment: h.Comment,
  }));
}

async function pushImage(e: Engine, call: Call): Promise<void> {
  const name = call.params.name;
  const tag = call.query.get('tag');
  const base = reference(name, 'repository name');
  const refs = tag ? [reference(`${base.name}:${tag}`)] : base.tag ? [base] : taggedIn(e, base);
  if (refs.length === 0 || !e.images.resolve(refs[0]!.toString())) throw notFound(`An image does not exist locally with the tag: ${familiarName(name)}`);
  const client = registryClient(call);
  const out = new JSONStream(call);
  await out.run(async () => {
    for (const ref of refs) {
      await push(ref.toString(), { store: e.images, client, destination: ref, onProgress: pushMessages(ref, out.emit) });
      recordEvent(e.root, 'image', 'push', ref.toString(), { name: ref.toString() });
    }
  });
}

/** Every stored tag of a repository (docker pushes them all when no tag is given). */
function taggedIn(e: Engine, repo: ImageReference): ImageReference[] {
  const out: ImageReference[] = [];
  for (const rec of e.images.listImages()) {
    try {
      const r = parseReference(rec.reference);
      if (r.name === repo.name && r.tag && !r.digest) out.push(r);
    } catch {
      /* skip */
    }
  }
  return out;
}

function tagImage(e: Engine, call: Call): void {
  const rec = e.images.resolve(call.params.name);
  if (!rec) throw notFound(`No such image: ${call.params.name}`);
  const repo = call.query.get('repo');
  if (!repo) throw badRequest('repo is required');
  const tag = call.query.get('tag') || undefined;
  const target = reference(tag ? `${repo}:${tag}` : repo, 'tag');
  if (target.digest) throw badRequest(`refusing to create a tag with a digest reference: ${repo}`);
  e.images.tag(target, rec.digest, { manifest: rec.manifest });
  recordEvent(e.root, 'image', 'tag', rec.config, { name: target.toString() });
  call.send(201);
}

async function removeImage(e: Engine, call: Call): Promise<Record<string, string>[]> {
  const name = call.params.name;
  const rec = e.images.resolve(name);
  if (!rec) throw notFound(`No such image: ${name}`);
  const used = await e.imagesInUse();
  let removed: string[];
  try {
    removed = e.images.removeImage(name, { force: call.bool('force'), inUse: (d) => used.has(d) });
  } catch (err) {
    if (err instanceof HakoError && /referenced by|in use by/.test(err.message))
      throw conflict(`conflict: unable to delete ${name} (must be forced) - ${err.message}`);
    throw err;
  }
  const out: Record<string, string>[] = removed.map((r) => ({ Untagged: familiarName(r) }));
  for (const r of removed) recordEvent(e.root, 'image', 'untag', r, { name: r });
  if (!e.images.listImages().some((x) => x.config === rec.config)) {
    out.push({ Deleted: rec.config });
    recordEvent(e.root, 'image', 'delete', rec.config, { name: rec.config });
  }
  pruneLayers(e.images, e.store.containerDir(''));
  e.images.gc();
  return out;
}

async function loadImages(e: Engine, call: Call): Promise<void> {
  let records: { reference: string; config: string }[];
  try {
    records = await loadImageStream(e.images, call.req);
  } catch (err) {
    if (err instanceof HakoError) throw badRequest(`invalid archive: ${err.message}`);
    throw err;
  }
  const out = new JSONStream(call);
  for (const rec of records) {
    const ref = parseReference(rec.reference);
    out.emit({ stream: ref.tag ? `Loaded image: ${ref.familiar()}\n` : `Loaded image ID: ${rec.config}\n` });
  }
  out.end();
}

async function saveImages(e: Engine, call: Call, names: string[]): Promise<void> {
  if (names.length === 0) throw badRequest('names: at least one image is required');
  for (const n of names) if (!e.images.resolve(n)) throw notFound(`No such image: ${n}`);
  await saveArchiveStream(e.images, names, call.stream(200, 'application/x-tar'));
}

async function prune(e: Engine, call: Call): Promise<Record<string, unknown>> {
  const f = call.filters();
  const dangling = f.dangling?.[0];
  const values = Object.entries(f).flatMap(([k, vs]) => (k === 'dangling' ? [] : vs.map((v) => `${k}=${v}`)));
  const r = await pruneImages(e, { all: dangling === 'false' || dangling === '0', filters: parsePruneFilters(values) });
  return {
    ImagesDeleted: [...r.untagged.map((u) => ({ Untagged: familiarName(u) })), ...r.deleted.map((d) => ({ Deleted: d }))],
    SpaceReclaimed: r.bytes,
  };
}

/** `distribution/{name}/json`: the registry's descriptor of a reference, without pulling it. */
async function distribution(call: Call): Promise<Record<string, unknown>> {
  const ref = reference(call.params.name);
  let m: { digest: string; mediaType: string; body: Buffer };
  try {
    m = await registryClient(call).getManifest(ref);
  } catch (err) {
    throw pullFailure(ref, err);
  }
  const doc = JSON.parse(m.body.toString('utf8')) as { manifests?: { platform?: Record<string, string> }[] };
  const platforms = doc.manifests?.map((x) => x.platform).filter(Boolean) ?? [];
  return { Descriptor: { mediaType: m.mediaType, digest: m.digest, size: m.body.length }, Platforms: platforms };
}
