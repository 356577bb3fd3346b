// The API versions served. Clients ask `/_ping` (the `Api-Version` header) or `/version`
// (`ApiVersion`) and then prefix their paths with the lower of theirs and ours (`/v1.41/…`); some
// pin a version of their own. The shapes hako answers with are 1.41's; newer prefixes up to MAX are
// accepted with the same shapes (their additions are optional fields), as podman does.
import { badRequest } from './errors.js';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';
const MAX_ACCEPTED = '1.47';

/** [major, minor] of "1.41". */
function parse(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (!m) throw badRequest(`invalid API version "${v.slice(0, 20)}"`);
  return [Number(m[1]), Number(m[2])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parse(a), parse(b)];
  return x[0] - y[0] || x[1] - y[1];
}

/** Splits `/v1.41/containers/json` into the version and the path; an unprefixed path is the
 *  current version. Versions outside what is served are docker's 400. */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v([0-9]+\.[0-9]+)(\/.*)$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1];
  if (compareVersions(version, MIN_API_VERSION) < 0)
    throw badRequest(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  if (compareVersions(version, MAX_ACCEPTED) > 0) throw badRequest(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  return { version, path: m[2] };
}
