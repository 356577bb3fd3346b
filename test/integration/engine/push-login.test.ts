// `hako tag`, `push`, `login`, `logout` against Debian's docker-registry on 127.0.0.1: without auth,
// with its own htpasswd (Basic) auth, and behind the fixture proxy that demands Bearer tokens. The
// pushed image is pulled into a second root and run, and credentials must never be printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv, type Result } from './harness.js';
import { startRegistry, startProxy, htpasswdLine, REGISTRY_BIN, HTPASSWD_BIN, type TestRegistry, type TestProxy } from '../../fixtures/registry.js';
import { ContentStore } from '../../../src/storage/store/index.js';
import { push, pull, RegistryClient, parseReference } from '../../../src/image/index.js';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';

const skip =
  engineSkip ||
  (!fs.existsSync(REGISTRY_BIN) ? `${REGISTRY_BIN} missing (Debian docker-registry)` : false) ||
  (!fs.existsSync(HTPASSWD_BIN) ? `${HTPASSWD_BIN} missing (Debian apache2-utils)` : false);
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const PASSWORD = 'pa55-w0rd-that-must-not-leak';
let plain: TestRegistry;
let basic: TestRegistry;
let home: string;
const stops: (() => Promise<void>)[] = [];

before(async () => {
  if (skip) return;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-home-'));
  plain = await startRegistry();
  stops.push(() => plain.stop());
  basic = await startRegistry({ htpasswd: htpasswdLine('alice', PASSWORD) });
  stops.push(() => basic.stop());
});
after(async () => {
  for (const s of stops.reverse()) await s();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** hako with HOME=our temp home, asynchronously (the proxies live in this process). */
function hako(args: string[], opts: { input?: string; root?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(HAKO, ['--root', opts.root ?? env.root, ...args], {
      env: { ...process.env, HOME: home, HAKO_ROOT: undefined, REGISTRY_AUTH_FILE: undefined, DOCKER_CONFIG: undefined, XDG_CONFIG_HOME: undefined },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    p.stdin.on('error', () => {}); // a usage error exits before it reads: EPIPE is expected then
    p.stdin.end(opts.input ?? '');
  });
}

async function ok(args: string[], opts: { input?: string; root?: string } = {}): Promise<string> {
  const r = await hako(args, opts);
  assert.equal(r.code, 0, `hako ${args.join(' ')}: ${r.stderr}`);
  assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), 'the password is never printed');
  return r.stdout;
}

const authFile = () => path.join(home, '.config', 'hako', 'auth.json');

/** The image pulled into a fresh root runs. */
async function pullAndRun(ref: string): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-pushed-'));
  try {
    await ok(['pull', '-q', ref], { root });
    // docker's image pull event, named by the reference.
    const pulled = JSON.parse((await ok(['events', '--since', '5m', '--until', '0s', '--filter', 'event=pull', '--format', 'json'], { root })).trim());
    assert.equal(pulled.Actor.Attributes.name, parseReference(ref).toString());
    assert.equal(await ok(['run', '--rm', '--network', 'none', ref, 'echo', 'pushed and pulled'], { root }), 'pushed and pulled\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test("tag then push prints docker's lines; the registry serves that digest; a second push finds the layers", { skip }, async () => {
  const ref = `${plain.host}/test/busybox:1`;
  assert.equal(await ok(['tag', IMAGE, ref]), '');
  assert.match(await ok(['images']), new RegExp(`${plain.host.replace('.', '\\.')}/test/busybox\\s+1\\s`));
  const out = await ok(['push', ref]);
  const lines = out.trim().split('\n');
  assert.equal(lines[0], `The push refers to repository [${plain.host}/test/busybox]`);
  assert.match(lines[1], /^[0-9a-f]{12}: Preparing$/);
  assert.match(lines[2], /^[0-9a-f]{12}: Pushed$/);
  const m = /^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(lines[3]);
  assert.ok(m, `digest line: ${lines[3]}`);
  const head = await fetch(`http://${plain.host}/v2/test/busybox/manifests/1`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(head.headers.get('docker-content-digest'), m[1]);
  assert.equal(Number(head.headers.get('content-length')), Number(m[2]));
  assert.match(await ok(['push', ref]), /: Layer already exists\n1: digest: /);
  await pullAndRun(ref);
});

test('push to a second repository mounts the blobs from the first instead of uploading them', { skip }, async () => {
  const proxy: TestProxy = await startProxy(plain.host);
  stops.push(() => proxy.stop());
  await ok(['tag', IMAGE, `${proxy.host}/first/bb:1`]);
  await ok(['push', `${proxy.host}/first/bb:1`]);
  proxy.seen.length = 0;
  await ok(['tag', IMAGE, `${proxy.host}/second/bb:1`]);
  const out = await ok(['push', `${proxy.host}/second/bb:1`]);
  assert.match(out, /^[0-9a-f]{12}: Mounted from first\/bb$/m);
  const mounts = proxy.seen.filter((r) => r.method === 'POST' && r.url.includes('mount=') && r.url.includes('from=first%2Fbb'));
  assert.equal(mounts.length, 2, 'config and layer mounted');
  assert.deepEqual(
    proxy.seen.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/')),
    [],
    'no blob data sent',
  );
  await pullAndRun(`${plain.host}/second/bb:1`);
});

test('a blob larger than the chunk size goes up in PATCH chunks, a small one in one PUT', { skip }, async () => {
  const proxy = await startProxy(plain.host);
  stops.push(() => proxy.stop());
  const store = new ContentStore(env.root);
  const layer = store.describe(store.resolve(IMAGE)!.digest);
  const size = store.blobSize(store.readJSON<{ layers: { digest: string }[] }>(layer.manifest).layers[0].digest)!;
  await push(IMAGE, { store, destination: `${proxy.host}/chunked/bb:1`, chunkSize: 256 << 10 });
  const patches = proxy.seen.filter((r) => r.method === 'PATCH');
  assert.equal(patches.length, Math.ceil(size / (256 << 10)), `${size} bytes in 256 KiB chunks`);
  const puts = proxy.seen.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'));
  assert.equal(puts.length, 2, 'one closing PUT for the layer, one monolithic PUT for the config');
  const other = new ContentStore(fs.mkdtempSync(path.join(os.tmpdir(), 'hako-chunk-')));
  try {
    const rec = await pull(`${plain.host}/chunked/bb:1`, { store: other });
    assert.equal(rec.config, layer.config, 'the registry has the same image, digest-verified by pull');
  } finally {
    fs.rmSync(other.root, { recursive: true, force: true });
  }
});

test('login to an htpasswd registry: wrong password refused, then -p, push, logout', { skip }, async () => {
  const ref = `${basic.host}/private/bb:1`;
  await ok(['tag', IMAGE, ref]);
  const anon = await hako(['push', ref]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /authentication required/);
  const bad = await hako(['login', '-u', 'alice', '--password-stdin', basic.host], { input: 'wrong\n' });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, `hako: login to ${basic.host}: unauthorized: incorrect username or password\n`);
  assert.ok(!fs.existsSync(authFile()), 'nothing stored for a refused login');
  const r = await hako(['login', '-u', 'alice', '-p', PASSWORD, basic.host]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Login Succeeded\n');
  assert.equal(r.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  assert.equal(fs.statSync(authFile()).mode & 0o777, 0o600);
  const doc = JSON.parse(fs.readFileSync(authFile(), 'utf8'));
  assert.equal(doc.auths[basic.host].auth, Buffer.from(`alice:${PASSWORD}`).toString('base64'));
  assert.match(await ok(['push', ref]), /^1: digest: sha256:/m);
  await ok(['pull', '-q', ref]);
  assert.equal(await ok(['logout', basic.host]), `Removing login credentials for ${basic.host}\n`);
  assert.equal(await ok(['logout', basic.host]), `Not logged in to ${basic.host}\n`);
  assert.equal((await hako(['push', ref])).code, 1, 'logged out: refused again');
});

test('login asks on a terminal: the password is not echoed', { skip: skip || ptyUnavailable() }, () => {
  const r = runOnPty(
    ['env', `HOME=${home}`, HAKO, '--root', env.root, 'login', basic.host],
    [
      { waitFor: 'Username: ', send: 'alice\r' },
      { waitFor: 'Password: ', send: `${PASSWORD}\r` },
    ],
  );
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /Login Succeeded/);
  assert.ok(!r.output.includes(PASSWORD), `the password is not echoed: ${r.output}`);
  assert.equal(JSON.parse(fs.readFileSync(authFile(), 'utf8')).auths[basic.host].auth, Buffer.from(`alice:${PASSWORD}`).toString('base64'));
  fs.rmSync(authFile());
});

test("docker's ~/.docker/config.json is read when hako has no entry", { skip }, async () => {
  const ref = `${basic.host}/docker/bb:1`;
  await ok(['tag', IMAGE, ref]);
  fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
  fs.writeFileSync(
    path.join(home, '.docker', 'config.json'),
    JSON.stringify({ auths: { [`http://${basic.host}`]: { auth: Buffer.from(`alice:${PASSWORD}`).toString('base64') } } }),
  );
  try {
    assert.match(await ok(['push', ref]), /^1: digest: sha256:/m);
  } finally {
    fs.rmSync(path.join(home, '.docker'), { recursive: true, force: true });
  }
});

test('token auth: --password-stdin logs in through the token server, push gets a push-scoped token', { skip }, async () => {
  const proxy = await startProxy(plain.host, { bearer: true, credentials: { username: 'bob', password: PASSWORD } });
  stops.push(() => proxy.stop());
  const bad = await hako(['login', '-u', 'bob', '--password-stdin', `http://${proxy.host}/`], { input: 'nope' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unauthorized: incorrect username or password/);
  assert.equal(await ok(['login', '-u', 'bob', '--password-stdin', proxy.host], { input: `${PASSWORD}\n` }), 'Login Succeeded\n');
  const ref = `${proxy.host}/tokened/bb:1`;
  await ok(['tag', IMAGE, ref]);
  assert.match(await ok(['push', ref]), /^1: digest: sha256:/m);
  assert.ok(proxy.tokenRequests.some((t) => decodeURIComponent(t.url).includes('repository:tokened/bb:pull,push')));
  await ok(['logout', proxy.host]);
});

test('bad usage: 125 for flags, 1 for what is missing', { skip }, async () => {
  const cases: [string[], number, RegExp][] = [
    [['push'], 1, /requires exactly 1 argument/],
    [['push', '--nope', 'x'], 125, /unknown flag: --nope/],
    [['push', `${plain.host}/absent/image:1`], 1, /an image does not exist locally with the tag/],
    [['tag', 'absent:1', 'x:1'], 1, /no such image: absent:1/],
    [['tag', IMAGE, 'UPPER/case'], 1, /invalid image reference "UPPER\/case": repository name must be lowercase/],
    [['login', '--password-stdin', plain.host], 125, /must provide --username with --password-stdin/],
    [['login', '-u', 'x', plain.host], 1, /cannot perform an interactive login from a non TTY device/],
  ];
  for (const [args, code, re] of cases) {
    const r = await hako(args);
    assert.equal(r.code, code, `hako ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('the library pushes with a client of its own credentials (token auth)', { skip }, async () => {
  const proxy = await startProxy(plain.host, { bearer: true, credentials: { username: 'c', password: 'd' } });
  stops.push(() => proxy.stop());
  const client = new RegistryClient({ credentials: () => ({ username: 'c', password: 'd' }) });
  const store = new ContentStore(env.root);
  const digest = await push(IMAGE, { store, client, destination: parseReference(`${proxy.host}/lib/bb:2`) });
  assert.equal(digest, store.resolve(IMAGE)!.digest);
});
