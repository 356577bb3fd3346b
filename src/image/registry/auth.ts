// Registry authentication pieces: parsing WWW-Authenticate challenges, reading docker-format
// credential files, and the bearer token request.
import { HakoError } from '../../util/errors.js';
import { httpRequest, parseUrl, readBody } from './http.js';
import { credentialsIn, type Credentials } from './credentials.js';

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`. */
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (RFC 7235): one or more challenges, each a scheme followed by
 *  comma-separated `key=value` or `key="quoted, \"value\""` parameters. */
export function parseWWWAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const token = () => {
    const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    skipWs();
    const word = token();
    if (!word) {
      i++; // garbage: skip a character and keep going
      continue;
    }
    let j = i;
    while (s[j] === ' ') j++;
    if (s[j] === '=' && out.length > 0) {
      // A parameter of the current challenge.
      i = j + 1;
      while (s[i] === ' ') i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++; // closing quote
      } else {
        value = token();
      }
      out[out.length - 1].params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}

export type { Credentials } from './credentials.js';

/** Looks up credentials for registry `domain` (as in references: `docker.io`, `localhost:5000`) in
 *  one docker-format file. Undefined when the file or entry is absent; throws on an unreadable or
 *  malformed file. (credentials.ts: which files, and writing them.) */
export function loadCredentials(domain: string, file: string): Credentials | undefined {
  return credentialsIn(file, domain);
}

export function basicAuthHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** Fetches a bearer token from the challenge's realm (distribution token spec), sending basic
 *  credentials when we have them. */
export async function fetchBearerToken(challenge: Challenge, scope: string | undefined, creds: Credentials | undefined): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new HakoError('registry sent a Bearer challenge without a realm');
  const url = parseUrl('registry token realm', realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  if (scope) for (const sc of scope.split(' ')) url.searchParams.append('scope', sc);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (creds) headers.authorization = basicAuthHeader(creds);
  const res = await httpRequest(url.href, { headers });
  const body = await readBody(res, 1 << 20);
  if (res.status === 401 || res.status === 403)
    throw new HakoError(`token server ${url.host}: ${creds ? 'credentials rejected' : 'authentication required'} (HTTP ${res.status})`);
  if (res.status !== 200) throw new HakoError(`token server ${url.host}: HTTP ${res.status}`);
  let doc: { token?: string; access_token?: string };
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HakoError(`token server ${url.host}: response is not JSON`);
  }
  const token = doc.token || doc.access_token;
  if (!token) throw new HakoError(`token server ${url.host}: response has no token`);
  return token;
}
