// The Docker Engine API service (`hako system service`): node:http on a Unix socket, the routes of
// routes/*.ts on one Engine of the served root. The same Engine code path as the CLI's commands:
// the service translates docker's requests and answers, nothing more.
//
// Idle exit, as podman's `system service --time`: with no connection open and no request for
// `idleSeconds`, the service closes and `serve` resolves (0: never). A connection held open (a
// streaming `events`, an attach) keeps it alive.
import http from 'node:http';
import type net from 'node:net';
import { Engine } from '../engine/engine.js';
import { onRequest, onUpgrade } from './dispatch.js';
import { listenOn } from './listen.js';
import { Router, type ApiContext } from './router.js';
import { registerRoutes } from './routes/index.js';

export interface ServeOptions {
  /** The engine's root (--root); default as the CLI's. */
  root?: string;
  /** The socket's path; default: the activation fd if systemd passed one, else defaultSocketPath(). */
  socket?: string;
  /** Seconds without requests or connections before the service exits; 0: never. */
  idleSeconds: number;
  /** The service's own log lines (stderr for the CLI). */
  log?: (message: string) => void;
}

export interface ApiServer {
  /** Where it listens: `unix:///path`, or the activation fd. */
  address: string;
  server: http.Server;
  /** Resolves when the service stopped (idle, or close()). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** The router with every endpoint group's routes. */
export function makeRouter(api: ApiContext): Router {
  const router = new Router();
  registerRoutes(router, api);
  return router;
}

export async function serve(opts: ServeOptions): Promise<ApiServer> {
  const log = opts.log ?? (() => {});
  const api: ApiContext = { engine: new Engine({ root: opts.root, onWarning: (m) => log(`warning: ${m}`) }), log };
  const router = makeRouter(api);
  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => onRequest(router, api, req, res));
  server.on('upgrade', (req, socket, head) => onUpgrade(router, api, req, socket, head));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  const idle = idleTimer(server, opts.idleSeconds);
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const address = await listenOn(server, opts.socket);
  idle.arm();
  return {
    address,
    server,
    closed,
    close: async () => {
      server.close();
      server.closeAllConnections?.();
      await closed;
    },
  };
}

/** Closes the server after `seconds` with no open connection; each connection's end re-arms it. */
function idleTimer(server: http.Server, seconds: number): { arm(): void } {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (seconds > 0 && open === 0) timer = setTimeout(() => server.close(), seconds * 1000);
  };
  server.on('connection', (socket: net.Socket) => {
    open++;
    clearTimeout(timer);
    socket.once('close', () => {
      open--;
      arm();
    });
  });
  return { arm };
}
