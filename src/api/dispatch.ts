// One request from arrival to answer: the version prefix, the route, the handler, and any failure
// as docker's error body. A handler that fails after it began answering (a stream) can only end
// the connection; a failure that is not a HakoError is a bug, logged with its stack on the
// service's stderr while the client gets its message.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Call } from './call.js';
import { ApiError, badRequest, messageOf, statusOf } from './errors.js';
import type { ApiContext, Router } from './router.js';
import { splitVersion } from './version.js';

export async function dispatch(router: Router, api: ApiContext, call: Call): Promise<void> {
  try {
    const url = new URL(call.req.url ?? '/', 'http://docker');
    const { version, path } = splitVersion(url.pathname);
    call.version = version;
    call.path = path;
    const found = router.match(call.method, decodePath(path));
    if ('methods' in found) {
      if (found.methods.length) throw new ApiError(405, `method ${call.method} not allowed for ${path}`);
      throw new ApiError(404, `page not found: ${call.method} ${path}`);
    }
    call.params = found.params;
    await found.handler(call);
  } catch (err) {
    answerFailure(api, call, err);
  }
}

/** The path with %-escapes decoded for matching; a malformed escape is the client's 400. */
function decodePath(path: string): string {
  try {
    return path
      .split('/')
      .map((seg) => encodeURIComponent(decodeURIComponent(seg)))
      .join('/');
  } catch {
    throw badRequest(`malformed %-escape in path ${JSON.stringify(path.slice(0, 200))}`);
  }
}

function answerFailure(api: ApiContext, call: Call, err: unknown): void {
  const status = statusOf(err);
  if (status === 500 && !(err instanceof ApiError)) api.log(`${call.method} ${call.path}: ${(err as Error)?.stack ?? String(err)}`);
  if (call.started) {
    call.req.socket.destroy();
    return;
  }
  try {
    call.fail(status, messageOf(err));
  } catch {
    call.req.socket.destroy();
  }
}

/** node:http's request: a Call on its ServerResponse. */
export function onRequest(router: Router, api: ApiContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  void dispatch(router, api, new Call(req, res, undefined));
}

/** node:http's 'upgrade' (attach, exec start): a Call on the bare socket. */
export function onUpgrade(router: Router, api: ApiContext, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => {}); // a client gone midway: nothing to tell it
  void dispatch(router, api, new Call(req, undefined, socket, head));
}
