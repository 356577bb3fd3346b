import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { extraCaOptions, restoreExtraCaCerts } from '../../../src/util/extra-ca.js';
import { httpRequest, readBody } from '../../../src/image/registry/http.js';

test('the CLI puts NODE_EXTRA_CA_CERTS back for the programs it starts', () => {
  const env: NodeJS.ProcessEnv = { HAKO_EXTRA_CA_CERTS: '/etc/x.pem' };
  restoreExtraCaCerts(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/x.pem' });
  restoreExtraCaCerts({});
});

test('HTTPS requests trust the deferred extra certificates, and only those added', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-ca-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const server = https.createServer({ key: fs.readFileSync(`${dir}/key.pem`), cert: fs.readFileSync(`${dir}/cert.pem`) }, (_req, res) => res.end('hello'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`;

  restoreExtraCaCerts({});
  assert.deepEqual(extraCaOptions(tls.rootCertificates), {});
  await assert.rejects(httpRequest(url), /cannot reach 127\.0\.0\.1.*(SELF_SIGNED|certificate)/i);

  restoreExtraCaCerts({ HAKO_EXTRA_CA_CERTS: `${dir}/cert.pem` });
  const res = await httpRequest(url);
  assert.equal(res.status, 200);
  assert.equal((await readBody(res)).toString(), 'hello');
  assert.ok(extraCaOptions(tls.rootCertificates).ca!.length > 1, 'Node\'s own roots are kept');

  restoreExtraCaCerts({ HAKO_EXTRA_CA_CERTS: `${dir}/missing.pem` });
  assert.deepEqual(extraCaOptions(tls.rootCertificates), {});
  restoreExtraCaCerts({});
});
