// listTags (pull --all-tags) against a small registry on 127.0.0.1 that answers as told: paging by
// the Link header, and the hostile answers (a tag that is a path, a Link to elsewhere, endless pages).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, listTags, parseReference } from '../../../src/image/index.js';

type Page = { tags: unknown; link?: string };
let answer: (url: URL) => Page = () => ({ tags: [] });
const server = http.createServer((req, res) => {
  const page = answer(new URL(req.url ?? '/', 'http://x'));
  res.writeHead(200, { 'content-type': 'application/json', ...(page.link ? { link: page.link } : {}) });
  res.end(JSON.stringify({ name: 'x/y', tags: page.tags }));
});
const ready = new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
after(() => server.close());

async function tags(): Promise<string[]> {
  await ready;
  const ref = parseReference(`127.0.0.1:${(server.address() as AddressInfo).port}/x/y`, { defaultTag: false });
  return listTags(new RegistryClient(), ref);
}

test('pages follow the Link header on the same repository', async () => {
  answer = (u) => (u.searchParams.get('last') === 'b' ? { tags: ['c'] } : { tags: ['a', 'b'], link: '</v2/x/y/tags/list?last=b&n=1000>; rel="next"' });
  assert.deepEqual(await tags(), ['a', 'b', 'c']);
});

test('a Link to another repository is not followed; null tags is none', async () => {
  answer = () => ({ tags: ['a'], link: '</v2/other/tags/list?last=a>; rel="next"' });
  assert.deepEqual(await tags(), ['a']);
  answer = () => ({ tags: null });
  assert.deepEqual(await tags(), []);
});

test('a tag that is not a tag (a path, an object) is refused with one line', async () => {
  answer = () => ({ tags: ['../../blobs/x'] });
  await assert.rejects(tags(), /the registry listed an invalid tag "\.\.\/\.\.\/blobs\/x"/);
  answer = () => ({ tags: [{}] });
  await assert.rejects(tags(), /invalid tag/);
  answer = () => ({ tags: 'a' });
  await assert.rejects(tags(), /has no "tags" list/);
});

test('endless pages stop at the bound', async () => {
  let n = 0;
  answer = () => ({ tags: [`t${n++}`], link: '</v2/x/y/tags/list?n=1000&last=z>; rel="next"' });
  await assert.rejects(tags(), /more than 100000 tags/);
});
