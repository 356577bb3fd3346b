// What the images routes rely on without a service: image names with slashes and dots reach their
// route (the router keeps a parameter's own pattern), and docker's X-Registry-Auth header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../../src/api/router.js';
import { registryAuth } from '../../../src/api/routes/json-stream.js';
import { HakoError } from '../../../src/util/errors.js';

test('a {name:.*} parameter takes an image name with slashes, dots and a port', () => {
  const r = new Router();
  const json = () => {};
  const push = () => {};
  r.get('/images/json', () => {});
  r.get('/images/{name:.*}/json', json);
  r.post('/images/{name:.*}/push', push);
  const m = r.match('GET', '/images/127.0.0.1%3A5000/team/app/json');
  assert.ok('handler' in m);
  assert.equal(m.handler, json);
  assert.deepEqual(m.params, { name: '127.0.0.1:5000/team/app' });
  const p = r.match('POST', '/images/hako.local/busybox/push');
  assert.ok('handler' in p && p.handler === push && p.params.name === 'hako.local/busybox');
  // literal parts stay literal: a dot in a path is not "any character"
  r.get('/a.b', () => {});
  assert.ok('methods' in r.match('GET', '/aXb'));
});

test("X-Registry-Auth: docker's base64url JSON; empty means none; garbage is the client's error", () => {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  assert.deepEqual(registryAuth(enc({ username: 'u', password: 'p+/=', serveraddress: 'r' })), { username: 'u', password: 'p+/=' });
  assert.deepEqual(registryAuth(enc({ auth: Buffer.from('me:se:cret').toString('base64') })), { username: 'me', password: 'se:cret' });
  assert.equal(registryAuth(enc({})), undefined);
  assert.equal(registryAuth(undefined), undefined);
  assert.equal(registryAuth(''), undefined);
  assert.throws(
    () => registryAuth('%%%'),
    (e: unknown) => e instanceof HakoError && /^invalid X-Registry-Auth/.test(e.message),
  );
});
