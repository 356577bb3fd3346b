// dist/hako, the Bun-compiled executable, through bin/hako and bin/hako-runtime: the name decides
// what it is, it reads no configuration from the current directory nor Bun's own variables (it runs
// as root), and HTTPS trusts NODE_EXTRA_CA_CERTS. Needs `npm run build`, not root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const HAKO = path.join(REPO, 'bin/hako');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}
/** Asynchronous, so that servers in this process can answer it. */
function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const p = spawn(file, args, { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function tmpdir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-exe-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('npm run build makes one executable; bin/hako runs it as hako, bin/hako-runtime as the runtime', async (t) => {
  assert.ok(fs.statSync(path.join(REPO, 'dist/hako')).mode & 0o100, 'dist/hako is an executable');
  const root = tmpdir(t);
  // --root comes first: nothing before hako may take it for an option of its own.
  const r = await run(HAKO, ['runtime', '--root', root, 'list', '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '[]');
  const viaName = await run(path.join(REPO, 'bin/hako-runtime'), ['--root', root, 'list', '--format', 'json']);
  assert.equal(viaName.status, 0, viaName.stderr);
  assert.equal(viaName.stdout.trim(), '[]');
  const engine = await run(HAKO, ['--help']);
  assert.equal(engine.status, 0, engine.stderr);
  assert.match(engine.stdout, /^usage: hako COMMAND/);
  // Through a link from another directory, as npm installs it (node_modules/.bin/hako-runtime).
  const dir = tmpdir(t);
  fs.symlinkSync(path.join(REPO, 'bin/hako-runtime'), path.join(dir, 'hako-runtime'));
  const linked = await run(path.join(dir, 'hako-runtime'), ['--root', root, 'list', '--format', 'json']);
  assert.equal(linked.status, 0, linked.stderr);
  assert.equal(linked.stdout.trim(), '[]');
});

test('the executable ignores .env, bunfig.toml, BUN_OPTIONS, BUN_BE_BUN and BUN_BYTECODE_ORDER_OUT', async (t) => {
  const dir = tmpdir(t);
  const root = path.join(dir, 'state');
  const marker = path.join(dir, 'PRELOADED');
  const evil = path.join(dir, 'evil.js');
  fs.writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
  // Honoured, these would turn on the trace (visible on stderr) and point hako at another helper.
  for (const name of ['.env', '.env.local', '.env.production']) {
    fs.writeFileSync(path.join(dir, name), `HAKO_TRACE=1\nHAKO_INIT=${dir}/evil-init\n`);
  }
  fs.writeFileSync(path.join(dir, 'bunfig.toml'), 'preload = ["./evil.js"]\n');
  // BUN_BE_BUN would make `hako runtime` run ./package.json's script "runtime".
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ scripts: { runtime: `echo ran > ${marker}` } }));
  // BUN_BYTECODE_ORDER_OUT would have a root process write a file of the caller's choosing.
  const written = path.join(dir, 'written');
  const env = { BUN_OPTIONS: `--preload=${evil}`, BUN_BE_BUN: '1', BUN_BYTECODE_ORDER_OUT: written, HAKO_TRACE: undefined, HAKO_INIT: undefined };
  for (const [file, args] of [
    [HAKO, ['runtime']],
    [path.join(REPO, 'bin/hako-runtime'), []],
  ] as const) {
    const r = await run(file, [...args, '--root', root, 'list', '--format', 'json'], { env, cwd: dir });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), '[]');
    assert.doesNotMatch(r.stderr, /trace/);
    assert.ok(!fs.existsSync(marker), `${file} ran a planted script`);
    assert.ok(!fs.existsSync(written), `${file} wrote BUN_BYTECODE_ORDER_OUT`);
  }
  // The build itself turns off the current directory's .env and bunfig.toml, launcher or not.
  const direct = await run(path.join(REPO, 'dist/hako'), ['runtime', '--root', root, 'list', '--format', 'json'], { env: { HAKO_TRACE: undefined }, cwd: dir });
  assert.equal(direct.status, 0, direct.stderr);
  assert.equal(direct.stdout.trim(), '[]');
  assert.doesNotMatch(direct.stderr, /trace/);
  assert.ok(!fs.existsSync(marker), "dist/hako ran bunfig.toml's preload");
});

test('HTTPS requests of the executable trust the certificates in NODE_EXTRA_CA_CERTS', async (t) => {
  const dir = tmpdir(t);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${dir}/key.pem`,
      '-out',
      `${dir}/cert.pem`,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  // A loopback registry is spoken to in plain HTTP; its token service is HTTPS with our own CA.
  const tokenRequests: string[] = [];
  const tokens = https.createServer({ key: fs.readFileSync(`${dir}/key.pem`), cert: fs.readFileSync(`${dir}/cert.pem`) }, (req, res) => {
    tokenRequests.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token: 'secret' }));
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
  t.after(() => tokens.close());
  const realm = `https://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
  const registry = http.createServer((req, res) => {
    if (req.headers.authorization !== 'Bearer secret') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="test"`, 'content-type': 'application/json' });
      return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
  t.after(() => registry.close());
  const image = `127.0.0.1:${(registry.address() as AddressInfo).port}/x:latest`;
  const root = path.join(dir, 'store');

  const untrusted = await run(HAKO, ['--root', root, 'pull', image], { env: { NODE_EXTRA_CA_CERTS: undefined } });
  assert.equal(untrusted.status, 1, untrusted.stderr);
  assert.match(untrusted.stderr, /certificate/i);
  assert.deepEqual(tokenRequests, []);

  const trusted = await run(HAKO, ['--root', root, 'pull', image], { env: { NODE_EXTRA_CA_CERTS: `${dir}/cert.pem` } });
  assert.equal(trusted.status, 1, trusted.stderr);
  assert.doesNotMatch(trusted.stderr, /certificate/i);
  assert.match(trusted.stderr, /manifest unknown|not found/i);
  assert.equal(tokenRequests.length, 1);
});
