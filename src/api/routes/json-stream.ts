// docker's progress streams (pull, push, build, load): JSON objects, one a line (`{…}\r\n`), in a
// chunked 200. The answer begins with the first message, not before: a failure before it (no such
// image, a bad context) is still a plain docker error with its status; one after it is the
// stream's last line, `{"errorDetail": {"message": …}, "error": …}`, as docker's clients expect.
import type { Writable } from 'node:stream';
import type { Call } from '../call.js';
import { errorMessage, type JSONMessage } from '../../image/index.js';
import { HakoError } from '../../util/errors.js';

export class JSONStream {
  private out: Writable | undefined;

  constructor(private readonly call: Call) {}

  get started(): boolean {
    return this.out !== undefined;
  }

  emit = (m: JSONMessage | Record<string, unknown>): void => {
    this.out ??= this.call.stream(200, 'application/json');
    this.out.write(`${JSON.stringify(m)}\r\n`);
  };

  end(): void {
    this.out ??= this.call.stream(200, 'application/json');
    this.out.end();
  }

  /** Runs `work`; a failure after the stream began is its error line, one before it is thrown. */
  async run(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      if (!this.started) throw e;
      // The engine's words; a bug's message without its stack (the service logs nothing here).
      this.emit(errorMessage(e instanceof HakoError ? e.message : `hako: bug: ${(e as Error).message}`));
    }
    this.end();
  }
}

/** docker's `X-Registry-Auth`: base64url JSON `{username, password, serveraddress}` (or
 *  `identitytoken`); absent or `{}`: undefined. Malformed is the client's 400. */
export function registryAuth(header: string | string[] | undefined): { username: string; password: string } | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    throw new HakoError('invalid X-Registry-Auth header: expected base64url-encoded JSON');
  }
  if (!v || typeof v !== 'object') throw new HakoError('invalid X-Registry-Auth header: expected a JSON object');
  const a = v as { username?: unknown; password?: unknown; auth?: unknown };
  if (typeof a.username === 'string' && a.username && typeof a.password === 'string') return { username: a.username, password: a.password };
  if (typeof a.auth === 'string' && a.auth) {
    const plain = Buffer.from(a.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }
  return undefined;
}
