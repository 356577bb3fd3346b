// The volumes endpoints: list, create, inspect, remove, prune, over the engine's VolumeStore
// (the local driver: a directory per volume) with docker's documents and status codes.
import { HakoError } from '../../util/errors.js';
import { VolumeStore, volumeUsers, type VolumeInfo } from '../../engine/volumes.js';
import { parsePruneFilters, pruneVolumes } from '../../engine/prune.js';
import { compareVersions } from '../version.js';
import type { Engine } from '../../engine/engine.js';
import type { ApiContext, Router } from '../router.js';
import type { Call } from '../call.js';
import { badRequest, conflict, notFound } from '../errors.js';

export function register(r: Router, api: ApiContext): void {
  const e = api.engine;
  const volumes = new VolumeStore(e.root);
  r.get('/volumes', async (call) => call.send(200, { Volumes: await list(e, volumes, call), Warnings: [] }));
  r.post('/volumes/create', async (call) => call.send(201, create(volumes, await call.json())));
  r.post('/volumes/prune', async (call) => call.send(200, await prune(e, call)));
  r.get('/volumes/{name}', (call) => call.send(200, document(inspect(volumes, call.params.name))));
  r.delete('/volumes/{name}', async (call) => {
    await remove(e, volumes, call);
    call.send(204);
  });
}

/** docker's volume document: VolumeInfo without hako's Anonymous. */
function document(v: VolumeInfo): Record<string, unknown> {
  const { Anonymous: _anonymous, ...doc } = v;
  return doc;
}

function inspect(volumes: VolumeStore, name: string): VolumeInfo {
  if (!volumes.exists(name)) throw notFound(`get ${name}: no such volume`);
  return volumes.inspect(name);
}

function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

async function list(e: Engine, volumes: VolumeStore, call: Call): Promise<Record<string, unknown>[]> {
  const f = call.filters();
  const containers = (await e.list()).map((c) => c.config);
  return volumes
    .list()
    .filter((v) => {
      if (f.name?.length && !f.name.some((n) => v.Name.includes(n))) return false;
      if (f.driver?.length && !f.driver.includes(v.Driver)) return false;
      if (f.label?.length && !f.label.every((l) => labelMatches(l, v.Labels))) return false;
      if (f.dangling?.length) {
        const unused = volumeUsers(v.Name, containers).length === 0;
        if (f.dangling.some((d) => (d === 'true' || d === '1') !== unused)) return false;
      }
      return true;
    })
    .map(document);
}

function create(volumes: VolumeStore, b: { Name?: unknown; Driver?: unknown; DriverOpts?: unknown; Labels?: unknown }): Record<string, unknown> {
  if (b.Name != null && typeof b.Name !== 'string') throw badRequest('Name: must be a string');
  const record = (v: unknown, what: string) => {
    if (v == null) return {};
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
      throw badRequest(`${what}: must be an object of strings`);
    return v as Record<string, string>;
  };
  try {
    const v = volumes.create((b.Name as string | undefined) || undefined, {
      driver: typeof b.Driver === 'string' && b.Driver ? b.Driver : undefined,
      options: record(b.DriverOpts, 'DriverOpts'),
      labels: record(b.Labels, 'Labels'),
    });
    return document(v);
  } catch (err) {
    if (err instanceof HakoError) throw badRequest(err.message);
    throw err;
  }
}

async function remove(e: Engine, volumes: VolumeStore, call: Call): Promise<void> {
  const name = call.params.name;
  if (!volumes.exists(name)) {
    if (call.bool('force')) return;
    throw notFound(`get ${name}: no such volume`);
  }
  const users = volumeUsers(
    name,
    (await e.list()).map((c) => c.config),
  );
  if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`);
  volumes.remove(name, []);
}

/** Before API 1.42 a prune removed every unused volume; since, only anonymous ones unless `all`. */
async function prune(e: Engine, call: Call): Promise<Record<string, unknown>> {
  const f = call.filters();
  const allFilter = f.all?.[0];
  const all = compareVersions(call.version, '1.42') < 0 || allFilter === 'true' || allFilter === '1';
  const values = Object.entries(f).flatMap(([k, vs]) => (k === 'all' ? [] : vs.map((v) => `${k}=${v}`)));
  const r = await pruneVolumes(e, { all, filters: parsePruneFilters(values) });
  return { VolumesDeleted: r.deleted, SpaceReclaimed: r.bytes };
}
