// `GET|HEAD|PUT /containers/{id}/archive?path=`: files into and out of a container as tar, through
// the engine's cp (the container's root is resolved by the native worker with RESOLVE_IN_ROOT: a
// `..` or an absolute symlink stays inside it). The stat of the path goes in the
// X-Docker-Container-Path-Stat header (base64 JSON: name, size, mode as Go's os.FileMode, mtime,
// linkTarget), which docker's clients read to decide where a copy lands.
import type { Engine } from '../../engine/engine.js';
import { HakoError } from '../../util/errors.js';
import type { Entry } from '../../engine/cp/entries.js';
import type { ContainerRoot } from '../../engine/cp/container.js';
import type { Call } from '../call.js';
import { badRequest, notFound } from '../errors.js';
import type { ApiContext, Router } from '../router.js';

export function register(r: Router, api: ApiContext): void {
  r.head('/containers/{id}/archive', async (call) => {
    const { stat } = await pathStat(api.engine, call);
    call.send(200, undefined, { 'X-Docker-Container-Path-Stat': stat, 'Content-Type': 'application/x-tar', 'Content-Length': '0' });
  });
  r.get('/containers/{id}/archive', (call) => getArchive(api.engine, call));
  r.put('/containers/{id}/archive', (call) => putArchive(api.engine, call));
}

// Go's os.FileMode type bits, which docker's header carries.
const GO_MODE: Record<string, number> = { d: 2 ** 31, l: 2 ** 27, p: 2 ** 25, s: 2 ** 24, c: 2 ** 26 + 2 ** 21, b: 2 ** 26 };

/** The header's JSON for an entry named `name`. */
function statHeader(name: string, e: Entry): string {
  const mode = (GO_MODE[e.type] ?? 0) + (e.mode & 0o7777);
  const mtime = new Date(Number(e.mtimeNs / 1_000_000n)).toISOString();
  return Buffer.from(JSON.stringify({ name, size: e.size, mode, mtime, linkTarget: e.link ?? '' })).toString('base64');
}

async function pathStat(engine: Engine, call: Call): Promise<{ rootfs: ContainerRoot; name: string; path: string; stat: string }> {
  const path = call.query.get('path');
  if (!path) throw badRequest('archive: the path (?path=) is required');
  if (path.includes('\0')) throw badRequest('archive: the path contains a NUL byte');
  const { containerRootfs, statInContainer } = await import('../../engine/cp/index.js');
  const { rootfs, name } = containerRootfs(engine.store, call.params.id);
  const entry = await statInContainer(rootfs, path);
  if (!entry) throw notFound(`Could not find the file ${path} in container ${name}`);
  const base = path.replace(/\/+$/, '').split('/').pop() || '/';
  return { rootfs, name, path, stat: statHeader(base, entry) };
}

async function getArchive(engine: Engine, call: Call): Promise<void> {
  const { rootfs, name, path, stat } = await pathStat(engine, call);
  const { copyFromContainer } = await import('../../engine/cp/index.js');
  const out = call.stream(200, 'application/x-tar', { 'X-Docker-Container-Path-Stat': stat });
  await copyFromContainer(rootfs, path, '-', { container: name }, out);
  out.end();
}

/** PUT: the body is a tar unpacked into the directory `path` (which must exist), the owners as the
 *  tar has them (docker's; `copyUIDGID` changes nothing here). */
async function putArchive(engine: Engine, call: Call): Promise<void> {
  const path = call.query.get('path');
  if (!path) throw badRequest('archive: the path (?path=) is required');
  const { containerRootfs, copyToContainer, statInContainer } = await import('../../engine/cp/index.js');
  const { rootfs, name } = containerRootfs(engine.store, call.params.id);
  const entry = await statInContainer(rootfs, path.endsWith('/') ? path : `${path}/`).catch(() => undefined);
  if (!entry) throw notFound(`Could not find the file ${path} in container ${name}`);
  if (entry.type !== 'd') throw badRequest(`extraction point is not a directory: ${path}`);
  try {
    await copyToContainer(rootfs, '-', path, { container: name }, call.bodyStream());
  } catch (e) {
    // The tar is the client's: an entry refused (`..`, an absolute link to climb through) is its 400.
    if (e instanceof HakoError) throw badRequest(`archive: ${e.message}`);
    throw e;
  }
  call.send(200);
}
