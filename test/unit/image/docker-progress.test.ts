// Pull and push events as docker's JSON messages, and the reference/label filters of the images
// list: the lines docker's clients (compose, docker-py, the docker CLI) parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference } from '../../../src/oci/image/reference.js';
import { pullMessages, pushMessages, progressBar, type JSONMessage } from '../../../src/image/docker-progress.js';
import { labelMatches, referenceMatches } from '../../../src/image/docker-json.js';

const L = `sha256:${'a'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;
const D = `sha256:${'d'.repeat(64)}`;

test("pull events become docker's messages; the config blob is not shown; progress is thinned", () => {
  const out: JSONMessage[] = [];
  const on = pullMessages(parseReference('busybox:1'), 'busybox:1', (m) => out.push(m));
  on({ type: 'resolved', reference: 'docker.io/library/busybox:1', digest: D, mediaType: 'x', manifest: D });
  on({ type: 'blob-start', digest: C, size: 10, kind: 'config' });
  on({ type: 'blob-done', digest: C, size: 10, cached: false });
  on({ type: 'blob-start', digest: L, size: 1000, kind: 'layer' });
  for (let i = 1; i <= 1000; i++) on({ type: 'blob-progress', digest: L, current: i, total: 1000 });
  on({ type: 'blob-done', digest: L, size: 1000, cached: false });
  on({ type: 'done', reference: 'docker.io/library/busybox:1', digest: D });
  assert.deepEqual(out[0], { status: 'Pulling from library/busybox', id: '1' });
  assert.deepEqual(out[1], { status: 'Pulling fs layer', progressDetail: {}, id: 'aaaaaaaaaaaa' });
  const downloading = out.filter((m) => m.status === 'Downloading');
  assert.equal(downloading.length, 101, 'one line per percent (0..100), not per chunk');
  assert.deepEqual(downloading.at(-1)?.progressDetail, { current: 1000, total: 1000 });
  assert.deepEqual(
    out.slice(-4).map((m) => m.status),
    ['Download complete', 'Pull complete', `Digest: ${D}`, 'Status: Downloaded newer image for busybox:1'],
  );
  assert.ok(!out.some((m) => m.id === 'cccccccccccc'), 'no line for the config');
});

test('a pull with every layer present says the image is up to date', () => {
  const out: JSONMessage[] = [];
  const on = pullMessages(parseReference('127.0.0.1:5000/x/y:2'), '127.0.0.1:5000/x/y:2', (m) => out.push(m));
  on({ type: 'blob-start', digest: L, size: 1, kind: 'layer' });
  on({ type: 'blob-done', digest: L, size: 1, cached: true });
  on({ type: 'done', reference: '127.0.0.1:5000/x/y:2', digest: D });
  assert.deepEqual(out[1], { status: 'Already exists', progressDetail: {}, id: 'aaaaaaaaaaaa' });
  assert.equal(out.at(-1)?.status, 'Status: Image is up to date for 127.0.0.1:5000/x/y:2');
});

test("push events end with docker's aux record", () => {
  const out: JSONMessage[] = [];
  const on = pushMessages(parseReference('127.0.0.1:5000/me/app:1'), (m) => out.push(m));
  on({ type: 'blob-start', digest: L, kind: 'layer' });
  on({ type: 'blob', digest: L, kind: 'layer', result: 'mounted', from: 'other/repo' });
  on({ type: 'blob', digest: C, kind: 'config', result: 'uploaded' });
  on({ type: 'manifest', digest: D, size: 405, top: true, tag: '1' });
  assert.deepEqual(out, [
    { status: 'The push refers to repository [127.0.0.1:5000/me/app]' },
    { status: 'Preparing', progressDetail: {}, id: 'aaaaaaaaaaaa' },
    { status: 'Mounted from other/repo', progressDetail: {}, id: 'aaaaaaaaaaaa' },
    { status: `1: digest: ${D} size: 405` },
    { progressDetail: {}, aux: { Tag: '1', Digest: D, Size: 405 } },
  ]);
});

test('progress bars stay 50 wide at any ratio, also past the total', () => {
  for (const [cur, total] of [
    [0, 0],
    [1, 3],
    [5, 5],
    [9, 5],
  ]) {
    const bar = progressBar(cur, total);
    assert.equal(bar.indexOf(']'), 51, bar);
  }
});

test("the images list's reference and label filters", () => {
  assert.ok(referenceMatches('busybox', 'busybox:latest'));
  assert.ok(referenceMatches('busy*', 'busybox:1'));
  assert.ok(referenceMatches('busybox:1', 'busybox:1'));
  assert.ok(!referenceMatches('busybox:2', 'busybox:1'));
  assert.ok(!referenceMatches('box', 'busybox:1'));
  assert.ok(referenceMatches('127.0.0.1:5000/x/*', '127.0.0.1:5000/x/y:3'));
  assert.ok(!referenceMatches('*', '127.0.0.1:5000/x/y:3'), 'a star does not cross a slash');
  assert.ok(labelMatches('a', { a: '' }));
  assert.ok(labelMatches('a=1', { a: '1' }));
  assert.ok(!labelMatches('a=2', { a: '1' }));
  assert.ok(!labelMatches('b', { a: '1' }));
});
