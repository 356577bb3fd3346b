import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, isLoopbackRegistry } from '../../../src/oci/image/reference.js';
import { HakoError } from '../../../src/util/errors.js';

const D = 'sha256:' + 'a'.repeat(64);

const good: [string, string, { domain: string; path: string; tag?: string; digest?: string; familiar?: string }][] = [
  ['busybox', 'docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest' }],
  ['library/busybox:1.36', 'docker.io/library/busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36' }],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }],
  ['index.docker.io/me/app', 'docker.io/me/app:latest', { domain: 'docker.io', path: 'me/app', tag: 'latest', familiar: 'me/app:latest' }],
  [`localhost:5000/ns/name@${D}`, `localhost:5000/ns/name@${D}`, { domain: 'localhost:5000', path: 'ns/name', digest: D }],
  [`name:tag@${D}`, `docker.io/library/name:tag@${D}`, { domain: 'docker.io', path: 'library/name', tag: 'tag', digest: D }],
  ['hako.local/busybox', 'hako.local/busybox:latest', { domain: 'hako.local', path: 'busybox', tag: 'latest' }],
  ['localhost/x', 'localhost/x:latest', { domain: 'localhost', path: 'x', tag: 'latest' }],
  ['127.0.0.1:5000/a/b/c:v1.0_rc-1', '127.0.0.1:5000/a/b/c:v1.0_rc-1', { domain: '127.0.0.1:5000', path: 'a/b/c', tag: 'v1.0_rc-1' }],
  ['[::1]:5000/x:1', '[::1]:5000/x:1', { domain: '[::1]:5000', path: 'x', tag: '1' }],
  ['Registry.Example.COM/app', 'Registry.Example.COM/app:latest', { domain: 'Registry.Example.COM', path: 'app', tag: 'latest' }],
  ['a__b/c-d.e--f', 'docker.io/a__b/c-d.e--f:latest', { domain: 'docker.io', path: 'a__b/c-d.e--f', tag: 'latest' }],
  ['localhost:5000', 'docker.io/library/localhost:5000', { domain: 'docker.io', path: 'library/localhost', tag: '5000' }],
];

for (const [input, canonical, want] of good) {
  test(`parses ${input}`, () => {
    const r = parseReference(input);
    assert.equal(r.toString(), canonical);
    assert.equal(r.domain, want.domain);
    assert.equal(r.path, want.path);
    assert.equal(r.tag, want.tag);
    assert.equal(r.digest, want.digest);
    if (want.familiar) assert.equal(r.familiar(), want.familiar);
  });
}

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['Busybox', /must be lowercase/],
  ['docker.io/Library/busybox', /must be lowercase/],
  ['busybox:', /invalid tag ""/],
  ['busybox:-x', /invalid tag "-x"/],
  [`busybox:${'t'.repeat(129)}`, /invalid tag/],
  ['busybox@sha256:abc', /64 lowercase hex/],
  [`busybox@sha256:${'A'.repeat(64)}`, /64 lowercase hex/],
  [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
  ['busybox@@x', /more than one '@'|malformed digest/],
  ['a//b', /empty path component/],
  ['/busybox', /empty path component/],
  ['a/b/', /empty path component/],
  ['-bad', /invalid path component "-bad"/],
  ['a..b', /invalid path component/],
  ['bad_host_:5000/x', /invalid path component|invalid registry host/],
  ['-host.com/x', /invalid registry host "-host.com"/],
  ['has space', /whitespace/],
  [`${'a'.repeat(256)}`, /longer than 255/],
  [':tag', /missing repository name/],
  ['localhost:99999/x', /registry port 99999 is out of range \(1-65535\)/],
  ['localhost:0/x', /registry port 0 is out of range/],
  ['[:::::]:5000/x', /invalid registry host "\[:::::\]:5000"/],
];

test('a huge reference is named clipped, on one line', () => {
  assert.throws(
    () => parseReference(`x/${'a'.repeat(100_000)}`),
    /^HakoError: invalid image reference "x\/a{510}…\(100002 characters\)": repository name longer than 255/,
  );
});

for (const [input, why] of bad) {
  test(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
    assert.throws(
      () => parseReference(input),
      (e: unknown) => {
        assert.ok(e instanceof HakoError, 'HakoError');
        assert.match((e as Error).message, why);
        assert.ok((e as Error).message.includes(`"${input}"`), `message names the reference: ${(e as Error).message}`);
        return true;
      },
    );
  });
}

test('registry host for docker.io and loopback detection', () => {
  assert.equal(parseReference('busybox').registry, 'registry-1.docker.io');
  assert.equal(parseReference('quay.io/x/y').registry, 'quay.io');
  assert.equal(parseReference('busybox').manifestRef, 'latest');
  assert.equal(parseReference(`busybox:1@${D}`).manifestRef, D);
  assert.equal(parseReference('busybox', { defaultTag: false }).tag, undefined);
  for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.ok(isLoopbackRegistry(h), h);
  for (const h of ['docker.io', 'example.com:5000', '10.0.0.1', '[::2]:5000', 'localhost.example.com']) assert.ok(!isLoopbackRegistry(h), h);
});
