// What a hostile or broken client can send: huge and malformed bodies, paths that try to leave the
// container's root through the archive endpoints (`..`, symlinks, tar entries), requests on
// containers that stopped or are gone, malformed URLs, and the service killed while it serves.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import tar from 'tar-stream';
import { engineSkip, IMAGE, request, startService, stopService, useApiService, type ApiService } from './harness.js';

const json = (v: unknown) => JSON.stringify(v);

function tarOf(entries: { name: string; type?: 'file' | 'symlink'; linkname?: string; content?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.content ?? '');
  pack.finalize();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

describe('docker API: hostile input', { skip: engineSkip }, () => {
  let svc: ApiService;
  useApiService(engineSkip, (s) => {
    svc = s;
  });
  const req = (method: string, p: string, body?: string | Buffer, headers?: Record<string, string>) => request(svc.socket, method, p, body, headers);
  const alive = async () => assert.equal((await req('GET', '/_ping')).status, 200, 'the service still answers');

  async function running(name: string): Promise<string> {
    const c = await req('POST', `/containers/create?name=${name}`, json({ Image: IMAGE, Cmd: ['sleep', '600'] }));
    assert.equal(c.status, 201, c.body.toString());
    assert.equal((await req('POST', `/containers/${name}/start`)).status, 204);
    return c.json().Id;
  }

  test('a huge body is refused with 413, a deeply nested or truncated one with 400', async () => {
    const huge = Buffer.alloc(8 * 1024 * 1024, 'a');
    const r = await req('POST', '/containers/create', huge);
    assert.equal(r.status, 413);
    assert.match(r.json().message, /too large/);
    const deep = await req('POST', '/containers/create', `${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    assert.equal(deep.status, 400);
    for (const bad of ['{', '{"Image": "x",}', '\u0000\u0001', 'null', '"string"']) {
      const b = await req('POST', '/containers/create', bad);
      assert.equal(b.status, 400, `${JSON.stringify(bad)}: ${b.body}`);
      assert.equal(typeof b.json().message, 'string');
    }
    await alive();
  });

  test('malformed URLs: a bad %-escape, a NUL in a name, a huge query', async () => {
    assert.equal((await req('GET', '/containers/%E0%A4%A/json')).status, 400);
    assert.equal((await req('GET', '/containers/a%00b/json')).status, 404);
    const long = await req('GET', `/containers/json?filters=${'x'.repeat(100_000)}`);
    assert.ok(long.status === 400 || long.status === 431, `status ${long.status}`);
    await alive();
  });

  test('archive paths stay inside the container: .., symlinks and tar entries that point out', async () => {
    await running('hostile-archive');
    const marker = `/tmp/hako-api-marker-${crypto.randomBytes(6).toString('hex')}`;
    fs.writeFileSync(marker, 'host secret\n');
    try {
      // `..` above the container's root is its root.
      const up = await req('GET', `/containers/hostile-archive/archive?path=${encodeURIComponent(`/../../../..${marker}`)}`);
      assert.equal(up.status, 404, 'the host file was reached through ..');
      // A symlink to / inside the container is the container's /.
      const ln = await req('POST', '/containers/hostile-archive/exec', json({ Cmd: ['ln', '-s', '/', '/tmp/rootlink'] }));
      const started = await req('POST', `/exec/${ln.json().Id}/start`, json({ Detach: false }));
      assert.equal(started.status, 200);
      const viaLink = await req('GET', `/containers/hostile-archive/archive?path=${encodeURIComponent(`/tmp/rootlink${marker}`)}`);
      assert.equal(viaLink.status, 404, 'the host file was reached through a symlink');
      // A tar whose entries climb out, or write through a symlink it made, lands inside or fails.
      const name = `escape-${crypto.randomBytes(6).toString('hex')}`;
      const put = (entries: Parameters<typeof tarOf>[0]) =>
        tarOf(entries).then((t) =>
          req('PUT', `/containers/hostile-archive/archive?path=${encodeURIComponent('/../../tmp')}`, t, { 'Content-Type': 'application/x-tar' }),
        );
      const climb = await put([{ name: `../../../../tmp/${name}`, content: 'out\n' }]);
      assert.equal(climb.status, 400, climb.body.toString());
      assert.match(climb.json().message, /"\.\." component not allowed/);
      assert.equal(fs.existsSync(`/tmp/${name}`), false, 'a tar entry escaped through ..');
      const through = await put([
        { name: 'hostlink', type: 'symlink', linkname: '/tmp' },
        { name: `hostlink/${name}-2`, content: 'in\n' },
      ]);
      assert.ok(through.status === 200 || through.status === 400, `status ${through.status}: ${through.body}`);
      assert.equal(fs.existsSync(`/tmp/${name}-2`), false, 'a tar entry escaped through a symlink');
      // Whatever it did, it did inside: the container's /tmp has the file, or nothing was written.
      const inside = await req('GET', `/containers/hostile-archive/archive?path=${encodeURIComponent(`/tmp/${name}-2`)}`);
      assert.ok(inside.status === 200 || inside.status === 404, `status ${inside.status}`);
    } finally {
      fs.rmSync(marker, { force: true });
    }
    assert.equal((await req('GET', '/containers/hostile-archive/archive?path=/nonexistent')).status, 404);
    assert.equal((await req('GET', '/containers/hostile-archive/archive')).status, 400);
    assert.equal((await req('DELETE', '/containers/hostile-archive?force=1')).status, 204);
    await alive();
  });

  test('requests on a stopped container are 409s, on a removed one 404s', async () => {
    const id = await running('hostile-closed');
    assert.equal((await req('POST', '/containers/hostile-closed/stop?t=1')).status, 204);
    assert.equal((await req('POST', '/containers/hostile-closed/stop')).status, 304);
    const ex = await req('POST', '/containers/hostile-closed/exec', json({ Cmd: ['true'] }));
    assert.equal(ex.status, 409);
    assert.match(ex.json().message, /is not running/);
    assert.equal((await req('POST', '/containers/hostile-closed/kill')).status, 409);
    assert.equal((await req('POST', '/containers/hostile-closed/pause')).status, 409);
    assert.equal((await req('DELETE', `/containers/${id}`)).status, 204);
    for (const [m, p] of [
      ['POST', '/containers/hostile-closed/start'],
      ['POST', `/containers/${id}/attach?stream=1&stdout=1`],
      ['GET', `/containers/${id}/archive?path=/`],
      ['POST', `/containers/${id}/wait`],
      ['GET', `/exec/${'0'.repeat(64)}/json`],
    ]) {
      const r = await req(m, p);
      assert.equal(r.status, 404, `${m} ${p}: ${r.body}`);
    }
    await alive();
  });

  test('a client that hangs up mid-stream leaves the service serving', async () => {
    await running('hostile-hangup');
    for (const p of ['/containers/hostile-hangup/logs?follow=1&stdout=1', '/events', '/containers/hostile-hangup/stats']) {
      const http = await import('node:http');
      await new Promise<void>((resolve, reject) => {
        const r = http.get({ socketPath: svc.socket, path: p }, (res) => {
          assert.equal(res.statusCode, 200);
          res.destroy();
          resolve();
        });
        r.on('error', reject);
      });
    }
    assert.equal((await req('DELETE', '/containers/hostile-hangup?force=1')).status, 204);
    await alive();
    assert.equal(svc.log(), '', 'the service logged nothing (no internal errors)');
  });

  test('the service killed with SIGKILL midway: a new one serves the same containers', async () => {
    const s = await startService(svc.env.root, ['--time', '0']);
    const c = await request(s.socket, 'POST', '/containers/create?name=hostile-kill9', json({ Image: IMAGE, Cmd: ['sleep', '600'] }));
    assert.equal(c.status, 201);
    assert.equal((await request(s.socket, 'POST', '/containers/hostile-kill9/start')).status, 204);
    // An exec is running when the service dies.
    const ex = await request(s.socket, 'POST', '/containers/hostile-kill9/exec', json({ Cmd: ['sleep', '30'], AttachStdout: true }));
    void request(s.socket, 'POST', `/exec/${ex.json().Id}/start`, json({})).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill('SIGKILL');
    await new Promise((r) => s.child.once('exit', r));
    await stopService(s);
    const again = await startService(svc.env.root, ['--time', '0']);
    try {
      const info = (await request(again.socket, 'GET', '/containers/hostile-kill9/json')).json();
      assert.equal(info.State.Running, true);
      assert.equal((await request(again.socket, 'DELETE', '/containers/hostile-kill9?force=1')).status, 204);
    } finally {
      await stopService(again);
    }
  });
});
