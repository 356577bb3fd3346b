// The service as plain HTTP sees it: version negotiation, docker's error bodies and status codes,
// the socket's permissions and the idle exit. Each request is what docker's clients send.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { engineSkip, IMAGE, request, startService, stopService, useApiService, type ApiService } from './harness.js';

const json = (v: unknown) => JSON.stringify(v);

describe('docker API over HTTP', { skip: engineSkip }, () => {
  let svc: ApiService;
  useApiService(engineSkip, (s) => {
    svc = s;
  });
  const req = (method: string, p: string, body?: string) => request(svc.socket, method, p, body);

  test('_ping answers GET and HEAD with the version headers', async () => {
    const get = await req('GET', '/_ping');
    assert.equal(get.status, 200);
    assert.equal(get.body.toString(), 'OK');
    assert.equal(get.headers['api-version'], '1.41');
    assert.equal(get.headers.ostype, 'linux');
    assert.equal(get.headers['docker-experimental'], 'false');
    const head = await req('HEAD', '/v1.41/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.headers['api-version'], '1.41');
  });

  test('version and info in docker shape, with and without a version prefix', async () => {
    const v = (await req('GET', '/v1.41/version')).json();
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.Os, 'linux');
    assert.ok(v.Components.some((c: { Name: string }) => c.Name === 'Engine'));
    const info = (await req('GET', '/info')).json();
    assert.equal(info.OSType, 'linux');
    assert.equal(info.Swarm.LocalNodeState, 'inactive');
    assert.equal(typeof info.NCPU, 'number');
    assert.equal(info.DockerRootDir, svc.env.root);
  });

  test('a version outside what is served is a 400 naming the maximum', async () => {
    const r = await req('GET', '/v1.99/version');
    assert.equal(r.status, 400);
    assert.match(r.json().message, /client version 1\.99 is too new\. Maximum supported API version is 1\.41/);
    assert.equal((await req('GET', '/v1.12/version')).status, 400);
  });

  test("an unknown container is a 404 with docker's message body", async () => {
    for (const [method, p] of [
      ['GET', '/containers/nosuch/json'],
      ['POST', '/containers/nosuch/start'],
      ['DELETE', '/containers/nosuch'],
      ['GET', '/containers/nosuch/logs?stdout=1'],
    ]) {
      const r = await req(method, p);
      assert.equal(r.status, 404, `${method} ${p}`);
      assert.match(r.json().message, /no such container: nosuch/i);
    }
  });

  test('an image not in the store is a 404 (the client pulls, then creates again)', async () => {
    const r = await req('POST', '/containers/create', json({ Image: 'localhost:1/none:latest' }));
    assert.equal(r.status, 404);
    assert.match(r.json().message, /No such image: localhost:1\/none:latest/);
  });

  test('a name in use is a 409', async () => {
    const body = json({ Image: IMAGE, Cmd: ['true'] });
    const first = await req('POST', '/containers/create?name=taken', body);
    assert.equal(first.status, 201, first.body.toString());
    const second = await req('POST', '/containers/create?name=taken', body);
    assert.equal(second.status, 409);
    assert.match(second.json().message, /"\/taken" is already in use/);
    assert.equal((await req('DELETE', '/containers/taken')).status, 204);
  });

  test('bad bodies and parameters are 400s naming the field', async () => {
    const cases: [string, string, RegExp][] = [
      ['/containers/create', '{"Image": ', /invalid JSON body/],
      ['/containers/create', json({ Cmd: ['x'] }), /Image: a container needs an image/],
      ['/containers/create', json({ Image: IMAGE, Cmd: 'sh' }), /Cmd: expected an array/],
      ['/containers/create', json({ Image: IMAGE, HostConfig: { Memory: 'lots' } }), /HostConfig\.Memory: expected a number/],
      ['/containers/create', json({ Image: IMAGE, HostConfig: { Memory: 1000 } }), /minimum memory limit is 6m/],
      ['/containers/create', json({ Image: IMAGE, HostConfig: { Binds: ['a:b:c:d'] } }), /volume/],
      ['/containers/create?name=bad%20name', json({ Image: IMAGE }), /only \[a-zA-Z0-9\]/],
      ['/containers/create', '[1,2]', /must be a JSON object/],
    ];
    for (const [p, body, message] of cases) {
      const r = await req('POST', p, body);
      assert.equal(r.status, 400, `${p} ${body}: ${r.body}`);
      assert.match(r.json().message, message);
    }
    assert.equal((await req('GET', '/containers/json?filters=notjson')).status, 400);
    assert.equal((await req('GET', '/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D')).status, 400);
  });

  test('an unknown path is a 404, a known path with another method a 405', async () => {
    assert.equal((await req('GET', '/nowhere')).status, 404);
    assert.equal((await req('DELETE', '/_ping')).status, 405);
  });

  test('the socket is 0600 when no docker group exists, 0660 root:docker when one does', () => {
    const st = fs.statSync(svc.socket);
    assert.ok(st.isSocket());
    const docker = fs.readFileSync('/etc/group', 'utf8').match(/^docker:[^:]*:(\d+):/m);
    if (docker) {
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(st.gid, Number(docker[1]));
    } else assert.equal(st.mode & 0o777, 0o600);
  });

  test('--time N: the idle service exits; a connection held open keeps it', async () => {
    const s = await startService(svc.env.root, ['--time', '1']);
    try {
      const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
      // An events stream is an open connection: the service stays while it is open.
      const events = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ socketPath: s.socket, path: '/events' }, resolve).on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 1800));
      assert.equal(s.child.exitCode, null, 'the service left while a connection was open');
      events.destroy();
      assert.equal(await exited, 0);
    } finally {
      await stopService(s);
    }
  });
});
