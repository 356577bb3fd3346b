// A repository's tags (distribution spec: GET /v2/<name>/tags/list, paged by `n` and the `Link`
// header), for `pull --all-tags`. The registry is untrusted: every tag must be a valid tag (it goes
// into the next request's path), the pages are bounded, and a page must move on.
import { HakoError } from '../../util/errors.js';
import { TAG, type ImageReference } from '../../oci/image/reference.js';
import type { RegistryClient } from './client.js';
import { discard, readBody } from './http.js';

const PAGE = 1000;
const MAX_PAGES = 100;

/** The tags of `ref`'s repository, in the registry's order (lexical in distribution's registry). */
export async function listTags(client: RegistryClient, ref: ImageReference): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = `tags/list?n=${PAGE}`;
  for (let page = 0; path; page++) {
    if (page === MAX_PAGES) throw new HakoError(`${ref.name}: more than ${MAX_PAGES * PAGE} tags`);
    const res = await client.request(ref, 'pull', path);
    if (res.status !== 200) {
      discard(res);
      throw new HakoError(`${ref.name}: listing its tags answered HTTP ${res.status}`);
    }
    const body = await readBody(res, 8 << 20);
    let doc: { tags?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HakoError(`${ref.name}: the tags list is not JSON`);
    }
    const list = doc?.tags ?? [];
    if (!Array.isArray(list)) throw new HakoError(`${ref.name}: the tags list has no "tags" list`);
    for (const t of list) {
      if (typeof t !== 'string' || !TAG.test(t))
        throw new HakoError(`${ref.name}: the registry listed an invalid tag ${JSON.stringify(String(t)).slice(0, 80)}`);
      tags.push(t);
    }
    const link = Array.isArray(res.headers.link) ? res.headers.link[0] : res.headers.link;
    const next = nextPage(ref, link);
    path = next && list.length ? next : undefined;
  }
  return [...new Set(tags)];
}

/** The next page's `tags/list?…` from `Link: </v2/<name>/tags/list?last=x&n=1000>; rel="next"`,
 *  kept on this repository. */
function nextPage(ref: ImageReference, link: string | undefined): string | undefined {
  const m = link ? /^<([^>]+)>;\s*rel="?next"?/.exec(link) : null;
  if (!m) return undefined;
  const url = new URL(m[1]!, 'http://registry.invalid');
  return url.pathname === `/v2/${ref.path}/tags/list` ? `tags/list${url.search}` : undefined;
}
