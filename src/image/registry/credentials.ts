// Where registry credentials live. hako writes `~/.config/hako/auth.json` (podman's auth.json
// format, which is docker's config.json `auths` map: `{"auths": {"host:port": {"auth":
// base64("user:password")}}}`), mode 0600, and reads it first; docker's `~/.docker/config.json`
// (or `$DOCKER_CONFIG/config.json`) is read after it, so `docker login` credentials work too.
// `$REGISTRY_AUTH_FILE` (podman's variable) replaces both. Credentials are never printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HakoError, systemErrorReason } from '../../util/errors.js';

type Env = NodeJS.ProcessEnv;

export interface Credentials {
  username: string;
  password: string;
}

function home(env: Env): string {
  return env.HOME || os.homedir();
}

/** The file `login` writes: $REGISTRY_AUTH_FILE, else $XDG_CONFIG_HOME/hako/auth.json
 *  (~/.config/hako/auth.json). */
export function hakoAuthFile(env: Env = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  return path.join(env.XDG_CONFIG_HOME || path.join(home(env), '.config'), 'hako', 'auth.json');
}

/** docker's credentials: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigFile(env: Env = process.env): string {
  return path.join(env.DOCKER_CONFIG || path.join(home(env), '.docker'), 'config.json');
}

/** The files looked in, first match wins. */
export function authFiles(env: Env = process.env): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  return [hakoAuthFile(env), dockerConfigFile(env)];
}

/** `https://index.docker.io/v1/` -> `docker.io`; `host:5000/path` -> `host:5000`. */
export function normalizeAuthKey(key: string): string {
  let k = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') k = 'docker.io';
  return k;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
}
interface AuthDoc {
  auths?: Record<string, AuthEntry>;
  [other: string]: unknown;
}

/** The parsed file, `{}` when it does not exist. One line naming the file when it is broken. */
export function readAuthDoc(file: string): AuthDoc {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new HakoError(`${file}: ${systemErrorReason(e) ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HakoError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new HakoError(`${file}: expected a JSON object`);
  const d = doc as AuthDoc;
  if (d.auths !== undefined && (typeof d.auths !== 'object' || d.auths === null || Array.isArray(d.auths)))
    throw new HakoError(`${file}: auths: expected an object`);
  return d;
}

function entryCredentials(file: string, key: string, entry: AuthEntry): Credentials | undefined {
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new HakoError(`${file}: auths.${key}.auth: expected base64 of "user:password"`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  return undefined;
}

/** Credentials for registry `domain` in one file; undefined when the file or the entry is absent. */
export function credentialsIn(file: string, domain: string): Credentials | undefined {
  const want = normalizeAuthKey(domain);
  for (const [key, entry] of Object.entries(readAuthDoc(file).auths ?? {})) {
    if (normalizeAuthKey(key) !== want || !entry || typeof entry !== 'object') continue;
    const c = entryCredentials(file, key, entry);
    if (c) return c;
  }
  return undefined;
}

/** Credentials for `domain` from the first of `files` that has them. */
export function findCredentials(domain: string, files: string[] = authFiles()): Credentials | undefined {
  for (const f of files) {
    const c = credentialsIn(f, domain);
    if (c) return c;
  }
  return undefined;
}

/** Writes `doc` to `file` atomically, readable by its owner only (it holds passwords). */
function writeAuthDoc(file: string, doc: AuthDoc): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(doc, null, '\t')}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (e) {
    const reason = systemErrorReason(e);
    if (reason) throw new HakoError(`${file}: ${reason}`);
    throw e;
  }
}

/** Stores credentials for `domain` (other entries and keys of the file are kept). */
export function saveCredentials(domain: string, creds: Credentials, file = hakoAuthFile()): void {
  const doc = readAuthDoc(file);
  const auths = { ...(doc.auths ?? {}) };
  for (const key of Object.keys(auths)) if (normalizeAuthKey(key) === normalizeAuthKey(domain)) delete auths[key];
  auths[domain] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  writeAuthDoc(file, { ...doc, auths });
}

/** Removes the entry for `domain`; false when there was none. */
export function removeCredentials(domain: string, file = hakoAuthFile()): boolean {
  const doc = readAuthDoc(file);
  const auths = { ...(doc.auths ?? {}) };
  const keys = Object.keys(auths).filter((k) => normalizeAuthKey(k) === normalizeAuthKey(domain));
  if (!keys.length) return false;
  for (const k of keys) delete auths[k];
  writeAuthDoc(file, { ...doc, auths });
  return true;
}
