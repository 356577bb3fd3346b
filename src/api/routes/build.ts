// `POST /build`: the body is the context as a tar (what `docker build`, compose and the Python
// package send), built by the library's build on that context unpacked by the layer worker
// (build/context-tar.ts). docker's query parameters: t (repeatable), dockerfile, buildargs and
// labels (JSON objects), target, nocache, q, networkmode; the output is docker's JSON stream,
// `{"stream": "…\n"}` per progress line, then `{"aux": {"ID": …}}` and the classic builder's
// `Successfully built`/`Successfully tagged` lines, which compose 1.29 and the Python package read.
import { HakoError } from '../../util/errors.js';
import { buildFromTar } from '../../build/index.js';
import { parseReference } from '../../image/index.js';
import type { ApiContext, Router } from '../router.js';
import type { Call } from '../call.js';
import { badRequest } from '../errors.js';
import { JSONStream } from './json-stream.js';

export function register(r: Router, api: ApiContext): void {
  r.post('/build', (call) => build(api, call));
  r.post('/build/prune', (call) => call.send(200, { CachesDeleted: [], SpaceReclaimed: 0 }));
}

/** A query parameter holding a JSON object of strings (buildargs, labels); a null value (a build
 *  argument taken from the client's environment that it does not have) is left out. */
function stringMap(call: Call, name: string): Record<string, string> {
  const raw = call.query.get(name);
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw badRequest(`invalid ${name}: ${JSON.stringify(raw.slice(0, 80))} is not JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`invalid ${name}: expected a JSON object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === null) continue;
    if (typeof x !== 'string') throw badRequest(`invalid ${name}: the value of "${k}" must be a string`);
    out[k] = x;
  }
  return out;
}

function options(call: Call) {
  if (call.query.get('remote')) throw badRequest('remote: only a context in the request body is supported');
  const platform = call.query.get('platform');
  if (platform && !/^linux(\/|$)/.test(platform)) throw badRequest(`platform "${platform}": only linux images are built`);
  const tags = call.query.getAll('t').filter(Boolean);
  for (const t of tags) {
    try {
      parseReference(t);
    } catch (e) {
      throw badRequest(`invalid tag "${t}": ${(e as Error).message}`);
    }
  }
  const network = call.query.get('networkmode') || 'default';
  if (!['default', 'host', 'none', 'bridge'].includes(network)) throw badRequest(`networkmode "${network}": only host and none are supported`);
  const args = stringMap(call, 'buildargs');
  for (const k of Object.keys(args)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw badRequest(`invalid buildargs: "${k}" is not a variable name`);
  return {
    tags,
    contextDockerfile: call.query.get('dockerfile') || undefined,
    buildArgs: new Map(Object.entries(args)),
    labels: stringMap(call, 'labels'),
    target: call.query.get('target') || undefined,
    noCache: call.bool('nocache'),
    network: network === 'none' ? ('none' as const) : ('host' as const),
  };
}

async function build(api: ApiContext, call: Call): Promise<void> {
  const opts = options(call);
  const quiet = call.bool('q');
  const out = new JSONStream(call);
  await out.run(async () => {
    let result: Awaited<ReturnType<typeof buildFromTar>>;
    try {
      result = await buildFromTar(api.engine, call.req, { ...opts, onProgress: quiet ? undefined : (line) => out.emit({ stream: `${line}\n` }) });
    } catch (e) {
      // Before the first line: the context or the Dockerfile was refused, the client's 400.
      if (!out.started && e instanceof HakoError) throw badRequest(e.message);
      throw e;
    }
    out.emit({ aux: { ID: result.id } });
    if (!quiet) {
      out.emit({ stream: `Successfully built ${result.id.slice(7, 19)}\n` });
      for (const t of opts.tags) out.emit({ stream: `Successfully tagged ${parseReference(t).familiar()}\n` });
    } else out.emit({ stream: `${result.id}\n` });
  });
}
