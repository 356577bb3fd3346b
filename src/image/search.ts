// `search`: repositories of a registry whose name contains a term. docker asks the registry's
// `/v1/search`, which only Docker Hub serves; other registries (docker-registry, Harbor, zot) list
// their repositories at `/v2/_catalog`, which podman reads and filters by the term. We do as podman:
// the catalog (following its `Link` pages) for any registry but Docker Hub, `/v1/search` there, and
// `/v1/search` as well when a registry has no catalog.
import { HakoError } from '../util/errors.js';
import { DEFAULT_DOMAIN } from '../oci/image/reference.js';
import type { RegistryClient } from './registry/client.js';

/** One result, with docker's field names (`search --format '{{.Name}}'`). */
export interface SearchResult {
  Name: string;
  Description: string;
  StarCount: number;
  IsOfficial: boolean;
  IsAutomated: boolean;
}

/** `127.0.0.1:5000/busy` → registry and term; a first part without `.` or `:` (and not localhost)
 *  is no registry: `library/busybox` searches Docker Hub for it. */
export function splitSearchTerm(text: string): { domain: string; term: string } {
  const slash = text.indexOf('/');
  if (slash > 0) {
    const first = text.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost') return { domain: first, term: text.slice(slash + 1) };
  }
  return { domain: DEFAULT_DOMAIN, term: text };
}

/** The pages of a catalog we read at most (a registry with 100 000 repositories is searched in
 *  its first 10 000, as each page is a request). */
const MAX_PAGES = 100;

/** Repositories of `domain` whose name contains `term` (all of them for an empty term). */
export async function searchRegistry(client: RegistryClient, domain: string, term: string, limit: number): Promise<SearchResult[]> {
  if (domain !== DEFAULT_DOMAIN) {
    const names = await catalog(client, domain);
    if (names)
      return names
        .filter((n) => n.includes(term))
        .slice(0, limit)
        .map((n) => result(`${domain}/${n}`));
  }
  return v1Search(client, domain, term, limit);
}

function result(name: string, description = '', stars = 0, official = false, automated = false): SearchResult {
  return { Name: name, Description: description, StarCount: stars, IsOfficial: official, IsAutomated: automated };
}

/** Every repository name of the catalog, or undefined when the registry has none (404). */
async function catalog(client: RegistryClient, domain: string): Promise<string[] | undefined> {
  const names: string[] = [];
  let path: string | undefined = '/v2/_catalog?n=100';
  for (let page = 0; path && page < MAX_PAGES; page++) {
    const r = await client.getRegistryJSON(domain, path, ['registry:catalog:*']);
    if (r.status === 404 && page === 0) return undefined;
    if (r.status !== 200) throw new HakoError(`${domain}: the catalog answered ${r.status}`);
    const repos = (r.json as { repositories?: unknown } | null)?.repositories;
    if (!Array.isArray(repos) || !repos.every((x) => typeof x === 'string'))
      throw new HakoError(`${domain}/v2/_catalog: "repositories" is not a list of names`);
    names.push(...repos);
    path = nextPage(r.link);
  }
  return names;
}

/** The path of a `Link: </v2/_catalog?last=x&n=100>; rel="next"` header, kept on the same registry. */
function nextPage(link: string | undefined): string | undefined {
  const m = link ? /^<([^>]+)>;\s*rel="?next"?/.exec(link) : null;
  if (!m) return undefined;
  const url = new URL(m[1]!, 'http://registry.invalid');
  return url.pathname === '/v2/_catalog' ? `${url.pathname}${url.search}` : undefined;
}

/** Docker Hub's (and a v1 registry's) search API. */
async function v1Search(client: RegistryClient, domain: string, term: string, limit: number): Promise<SearchResult[]> {
  const host = domain === DEFAULT_DOMAIN ? 'index.docker.io' : domain;
  const r = await client.getRegistryJSON(host, `/v1/search?q=${encodeURIComponent(term)}&n=${limit}`);
  if (r.status !== 200) throw new HakoError(`${domain}: neither /v2/_catalog nor /v1/search is served (${r.status})`);
  const found = (r.json as { results?: unknown } | null)?.results;
  if (!Array.isArray(found)) throw new HakoError(`${domain}/v1/search: no "results" list`);
  return found
    .slice(0, limit)
    .map((x: Record<string, unknown>) =>
      result(String(x.name ?? ''), String(x.description ?? ''), Number(x.star_count) || 0, x.is_official === true, x.is_automated === true),
    );
}
