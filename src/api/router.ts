// Routes: a method and a path pattern (`/containers/{id}/json`; `{name:.*}` for a parameter that
// may hold slashes, as image references do) to a handler. Paths are matched after the version
// prefix is taken off (`/v1.41/containers/json` and `/containers/json` are one route). Each endpoint
// group registers its own routes (routes/*.ts).
import type { Call } from './call.js';
import type { Engine } from '../engine/engine.js';

export type Handler = (call: Call) => Promise<void> | void;

/** What every route handler may use: the engine of the served root. */
export interface ApiContext {
  engine: Engine;
  /** A line for the service's log (stderr): a failure that is not the client's. */
  log(message: string): void;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route; `HEAD` is answered by a `GET` route unless one of its own is added. */
  add(method: string, path: string, handler: Handler): void {
    const keys: string[] = [];
    // Literal parts escaped, parameters' own patterns (`{name:.*}`) kept as written.
    const literal = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    let source = '';
    let last = 0;
    for (const m of path.matchAll(/\{(\w+)(?::([^}]+))?\}/g)) {
      keys.push(m[1]!);
      source += `${literal(path.slice(last, m.index))}${m[2] ? `(${m[2]})` : '([^/]+)'}`;
      last = m.index! + m[0].length;
    }
    source += literal(path.slice(last));
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), keys, handler });
  }

  get = (path: string, h: Handler) => this.add('GET', path, h);
  post = (path: string, h: Handler) => this.add('POST', path, h);
  put = (path: string, h: Handler) => this.add('PUT', path, h);
  delete = (path: string, h: Handler) => this.add('DELETE', path, h);
  head = (path: string, h: Handler) => this.add('HEAD', path, h);

  /** The handler for a method and an unprefixed path, its parameters decoded; `methods` lists the
   *  methods the path has when the method has none (a 405 rather than a 404). */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | { methods: string[] } {
    const methods: string[] = [];
    for (const want of method === 'HEAD' ? ['HEAD', 'GET'] : [method]) {
      for (const r of this.routes) {
        const m = r.pattern.exec(path);
        if (!m) continue;
        if (r.method !== want) {
          methods.push(r.method);
          continue;
        }
        const params: Record<string, string> = {};
        r.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1]);
        });
        return { handler: r.handler, params };
      }
    }
    return { methods };
  }
}
