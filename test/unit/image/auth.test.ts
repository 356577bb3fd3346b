import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseWWWAuthenticate, loadCredentials } from '../../../src/image/registry/auth.js';

test('parses a docker hub Bearer challenge', () => {
  const c = parseWWWAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
  assert.deepEqual(c, [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
});

test('quoted values keep commas and escaped quotes; unquoted tokens and spaces work', () => {
  const c = parseWWWAuthenticate('Bearer realm="http://127.0.0.1:1/token", scope="repository:a/b:pull,push", error=insufficient_scope, x="a \\"q\\""');
  assert.equal(c.length, 1);
  assert.equal(c[0].params.scope, 'repository:a/b:pull,push');
  assert.equal(c[0].params.error, 'insufficient_scope');
  assert.equal(c[0].params.x, 'a "q"');
});

test('several challenges in one header, scheme case-insensitive', () => {
  const c = parseWWWAuthenticate('Basic realm="Registry Realm", BEARER realm="https://t/x",service=s');
  assert.deepEqual(
    c.map((x) => x.scheme),
    ['basic', 'bearer'],
  );
  assert.equal(c[0].params.realm, 'Registry Realm');
  assert.equal(c[1].params.service, 's');
  assert.deepEqual(parseWWWAuthenticate(''), []);
});

test('credentials from a docker config file', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-auth-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  fs.writeFileSync(
    file,
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:secret:with:colons') },
        'localhost:5000': { auth: b64('me:pw') },
        'broken.example': { auth: b64('nocolon') },
      },
    }),
  );
  assert.deepEqual(loadCredentials('docker.io', file), { username: 'hub', password: 'secret:with:colons' });
  assert.deepEqual(loadCredentials('localhost:5000', file), { username: 'me', password: 'pw' });
  assert.equal(loadCredentials('localhost:5001', file), undefined);
  assert.throws(() => loadCredentials('broken.example', file), /auths\.broken\.example\.auth/);
  assert.equal(loadCredentials('x', path.join(dir, 'absent.json')), undefined);
  fs.writeFileSync(file, '{not json');
  assert.throws(() => loadCredentials('x', file), /invalid JSON/);
});
