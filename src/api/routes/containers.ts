// The container lifecycle endpoints: create, list, inspect, start, stop, restart, kill, wait,
// remove, rename, pause, unpause, top, changes, export, prune — each one call of the engine
// library. (Logs and attach: container-io.ts; exec: exec.ts; archive: archive.ts; stats: stats.ts.)
import { isBuiltinImage } from '../../engine/builtin-image.js';
import { pauseContainer, renameContainer, restartContainer, unpauseContainer } from '../../engine/lifecycle.js';
import type { Call } from '../call.js';
import { inspectContainer, listContainers } from '../container-json.js';
import { runOptionsFromBody } from '../create-body.js';
import { badRequest, notFound } from '../errors.js';
import type { ApiContext, Router } from '../router.js';
import { pruneFilters } from './filters.js';

export function register(r: Router, api: ApiContext): void {
  const e = api.engine;
  r.get('/containers/json', async (call) =>
    call.send(200, await listContainers(e, { all: call.bool('all'), limit: call.int('limit'), filters: call.filters() })),
  );
  r.post('/containers/create', (call) => create(api, call));
  r.get('/containers/{id}/json', async (call) => call.send(200, await inspectContainer(e, call.params.id)));
  r.post('/containers/{id}/start', (call) => start(api, call));
  r.post('/containers/{id}/stop', (call) => stop(api, call));
  r.post('/containers/{id}/restart', async (call) => {
    await restartContainer(e, call.params.id, call.int('t'), call.query.get('signal') || undefined);
    call.send(204);
  });
  r.post('/containers/{id}/kill', async (call) => {
    await e.kill(call.params.id, call.query.get('signal') || 'SIGKILL');
    call.send(204);
  });
  r.post('/containers/{id}/wait', (call) => wait(api, call));
  r.delete('/containers/{id}', async (call) => {
    await e.remove(call.params.id, { force: call.bool('force'), volumes: call.bool('v') });
    call.send(204);
  });
  r.post('/containers/{id}/rename', async (call) => {
    const name = call.query.get('name');
    if (!name) throw badRequest('rename: the new name (?name=) is required');
    renameContainer(e, call.params.id, name);
    call.send(204);
  });
  r.post('/containers/{id}/pause', async (call) => {
    await pauseContainer(e, call.params.id);
    call.send(204);
  });
  r.post('/containers/{id}/unpause', async (call) => {
    await unpauseContainer(e, call.params.id);
    call.send(204);
  });
  r.get('/containers/{id}/top', async (call) => {
    const [Titles, ...Processes] = await e.top(call.params.id);
    call.send(200, { Titles, Processes });
  });
  r.get('/containers/{id}/changes', (call) => changes(api, call));
  r.get('/containers/{id}/export', (call) => exportTar(api, call));
  r.post('/containers/prune', async (call) => {
    const { pruneContainers } = await import('../../engine/prune.js');
    const res = await pruneContainers(e, pruneFilters(call.filters()));
    call.send(200, { ContainersDeleted: res.deleted, SpaceReclaimed: res.bytes });
  });
}

/** POST /containers/create: 404 for an image not in the store (the client pulls and retries, as
 *  with docker); the built-in hako.local/busybox is made on first use as by `hako create`. */
async function create(api: ApiContext, call: Call): Promise<void> {
  const { opts, warnings } = runOptionsFromBody(await call.json(), call.query.get('name'));
  if (!api.engine.images.resolve(opts.image) && !isBuiltinImage(opts.image)) throw notFound(`No such image: ${opts.image}`);
  const cfg = await api.engine.create(opts);
  call.send(201, { Id: cfg.id, Warnings: warnings });
}

/** POST /containers/{id}/start: 304 when it already runs. */
async function start(api: ApiContext, call: Call): Promise<void> {
  const id = api.engine.store.resolve(call.params.id);
  if ((await api.engine.refresh(id)).status === 'running') return call.send(304);
  await api.engine.start(id);
  call.send(204);
}

/** POST /containers/{id}/stop?t=&signal= (API 1.42): 304 when it is not running. */
async function stop(api: ApiContext, call: Call): Promise<void> {
  const id = api.engine.store.resolve(call.params.id);
  if ((await api.engine.refresh(id)).status !== 'running') return call.send(304);
  await api.engine.stop(id, call.int('t'), call.query.get('signal') || undefined);
  call.send(204);
}

const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;

/** POST /containers/{id}/wait?condition=: the headers at once (docker's clients wait for them
 *  before they start the container), the status when the condition is met. */
async function wait(api: ApiContext, call: Call): Promise<void> {
  const condition = (call.query.get('condition') || 'not-running') as (typeof WAIT_CONDITIONS)[number];
  if (!WAIT_CONDITIONS.includes(condition)) throw badRequest(`invalid condition "${condition}": expected not-running, next-exit or removed`);
  const id = api.engine.store.resolve(call.params.id);
  const gone = new AbortController();
  call.req.socket.once('close', () => gone.abort());
  const out = call.stream(200, 'application/json');
  try {
    const code = await api.engine.wait(id, { condition, signal: gone.signal });
    out.end(JSON.stringify({ StatusCode: code, Error: null }));
  } catch (e) {
    out.end(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }));
  }
}

async function changes(api: ApiContext, call: Call): Promise<void> {
  const { containerChanges } = await import('../../engine/changes.js');
  const id = api.engine.store.resolve(call.params.id);
  const kinds = { C: 0, A: 1, D: 2 } as const;
  const list = await containerChanges(api.engine.store.containerDir(id));
  call.send(200, list.length ? list.map((c) => ({ Path: c.path, Kind: kinds[c.kind] })) : null);
}

async function exportTar(api: ApiContext, call: Call): Promise<void> {
  const { exportContainer } = await import('../../engine/cp/index.js');
  api.engine.store.resolve(call.params.id); // a 404 before the stream starts
  const out = call.stream(200, 'application/x-tar');
  await exportContainer(api.engine.store, call.params.id, out);
  out.end();
}
