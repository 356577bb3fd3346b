// `hako login` / `logout`: credentials are checked against the registry (its /v2/ endpoint answers a
// challenge: Bearer credentials go to the token server, Basic ones to /v2/ itself), then stored in
// hako's auth file (registry/credentials.ts). Nothing here prints a credential.
import { HakoError } from '../util/errors.js';
import { DEFAULT_DOMAIN } from '../oci/image/reference.js';
import { RegistryClient } from './registry/client.js';
import { httpRequest, discard } from './registry/http.js';
import { parseWWWAuthenticate, basicAuthHeader, fetchBearerToken, type Credentials } from './registry/auth.js';
import { hakoAuthFile, normalizeAuthKey, removeCredentials, saveCredentials } from './registry/credentials.js';

/** The registry a `login [SERVER]` names: docker.io when none; scheme and path dropped
 *  (`http://127.0.0.1:5000/v2/` -> `127.0.0.1:5000`). */
export function loginDomain(server: string | undefined): string {
  if (!server) return DEFAULT_DOMAIN;
  const domain = normalizeAuthKey(server);
  if (!/^[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/.test(domain)) throw new HakoError(`login: invalid registry "${server}"`);
  return domain;
}

function unauthorized(domain: string): HakoError {
  return new HakoError(`login to ${domain}: unauthorized: incorrect username or password`);
}

/** Checks `creds` against the registry. A registry that asks for nothing accepts any login, as
 *  docker's does. */
export async function checkLogin(domain: string, creds: Credentials, client = new RegistryClient()): Promise<void> {
  const url = `${client.registryUrl(domain)}/v2/`;
  const res = await httpRequest(url, { headers: { 'user-agent': 'hako/0.1' } });
  discard(res);
  if (res.status === 200) return;
  if (res.status !== 401) throw new HakoError(`login to ${domain}: ${url}: HTTP ${res.status}`);
  const header = res.headers['www-authenticate'];
  const challenges = parseWWWAuthenticate(Array.isArray(header) ? header.join(', ') : (header ?? ''));
  const bearer = challenges.find((c) => c.scheme === 'bearer');
  if (bearer) {
    try {
      await fetchBearerToken(bearer, undefined, creds);
      return;
    } catch (e) {
      if (e instanceof HakoError && /credentials rejected/.test(e.message)) throw unauthorized(domain);
      throw e;
    }
  }
  if (!challenges.some((c) => c.scheme === 'basic'))
    throw new HakoError(
      `login to ${domain}: the registry asks for an unsupported authentication (${challenges.map((c) => c.scheme).join(', ') || 'no challenge'})`,
    );
  const again = await httpRequest(url, { headers: { 'user-agent': 'hako/0.1', authorization: basicAuthHeader(creds) } });
  discard(again);
  if (again.status === 401 || again.status === 403) throw unauthorized(domain);
  if (again.status !== 200) throw new HakoError(`login to ${domain}: ${url}: HTTP ${again.status}`);
}

/** Checks and stores credentials for the registry `server` names; returns its domain. */
export async function login(server: string | undefined, creds: Credentials, opts: { client?: RegistryClient; file?: string } = {}): Promise<string> {
  const domain = loginDomain(server);
  if (!creds.username) throw new HakoError('login: username is empty');
  if (!creds.password) throw new HakoError('login: password is empty');
  await checkLogin(domain, creds, opts.client);
  saveCredentials(domain, creds, opts.file ?? hakoAuthFile());
  return domain;
}

/** Forgets the credentials for `server` in hako's file; false when it had none. */
export function logout(server: string | undefined, opts: { file?: string } = {}): { domain: string; removed: boolean } {
  const domain = loginDomain(server);
  return { domain, removed: removeCredentials(domain, opts.file ?? hakoAuthFile()) };
}
