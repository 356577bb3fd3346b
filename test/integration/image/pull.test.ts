// Pull and push against a real docker-registry on 127.0.0.1, directly and through a proxy that demands
// bearer tokens, redirects blobs, or corrupts one blob.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { saveOCILayout } from '../../../src/image/index.js';
import { ContentStore } from '../../../src/storage/store/index.js';
import { pull, push, inspect, RegistryClient, createProgressRenderer, parseReference, type PullEvent } from '../../../src/image/index.js';
import { startRegistry, startProxy, type TestRegistry, type TestProxy } from '../../fixtures/registry.js';
import { buildBusyboxImage, buildMultiArchImage, DEFAULT_TEST_CONFIG, type BuiltImage } from '../../fixtures/images.js';
import { MediaType } from '../../../src/oci/image/types.js';

let registry: TestRegistry;
let srcStore: ContentStore;
const cleanup: (() => Promise<void> | void)[] = [];
let simple: BuiltImage;
let multi: BuiltImage;
let list: Awaited<ReturnType<typeof buildMultiArchImage>>;
let simpleDigest: string;

function tempStore(): ContentStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-pull-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return new ContentStore(dir);
}

async function proxy(opts: Parameters<typeof startProxy>[1]): Promise<TestProxy> {
  const p = await startProxy(registry.host, opts);
  cleanup.push(() => p.stop());
  return p;
}

const noTemp = (s: ContentStore) => assert.deepEqual(fs.readdirSync(s.tmpDir), [], 'no temp files remain');

before(async () => {
  registry = await startRegistry();
  srcStore = tempStore();
  simple = await buildBusyboxImage(srcStore, 'hako.test/busybox:1');
  multi = await buildBusyboxImage(srcStore, 'hako.test/multi:1', { extraLayers: 5 });
  list = await buildMultiArchImage(srcStore, 'hako.test/list:1');
  const client = new RegistryClient();
  simpleDigest = await push('hako.test/busybox:1', { store: srcStore, client, destination: `${registry.host}/test/busybox:1` });
  await push('hako.test/multi:1', { store: srcStore, client, destination: `${registry.host}/test/multi:1` });
  await push('hako.test/list:1', { store: srcStore, client, destination: `${registry.host}/test/list:1` });
});

after(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await registry?.stop();
});

test('push reported the manifest digest and the registry serves it', async () => {
  assert.equal(simpleDigest, simple.manifest);
  const head = await new RegistryClient().headManifest(parseReference(`${registry.host}/test/busybox:1`));
  assert.equal(head?.digest, simple.manifest);
  assert.equal(await new RegistryClient().headManifest(parseReference(`${registry.host}/test/absent:1`)), undefined);
});

test('pull by tag stores config, layers and manifest, then tags', async () => {
  const store = tempStore();
  const events: PullEvent[] = [];
  const rec = await pull(`${registry.host}/test/busybox:1`, { store, onProgress: (e) => events.push(e) });
  assert.equal(rec.reference, `${registry.host}/test/busybox:1`);
  assert.equal(rec.digest, simple.manifest);
  assert.equal(rec.config, simple.config);
  for (const l of simple.layers) assert.deepEqual(fs.readFileSync(store.blobPath(l.descriptor.digest)), l.gz);
  const info = inspect(store, `${registry.host}/test/busybox:1`);
  assert.deepEqual(info.config.Cmd, DEFAULT_TEST_CONFIG.Cmd);
  assert.deepEqual(info.config.Env, DEFAULT_TEST_CONFIG.Env);
  assert.deepEqual(info.config.Labels, { 'org.hako.test': 'yes' });
  assert.deepEqual(info.config.ExposedPorts, { '8080/tcp': {} });
  assert.deepEqual(info.config.Entrypoint, []);
  assert.deepEqual(
    info.layers.map((l) => [l.digest, l.diffID]),
    simple.layers.map((l) => [l.descriptor.digest, l.diffId]),
  );
  assert.equal(events[0].type, 'resolved');
  assert.equal(events.at(-1)!.type, 'done');
  assert.ok(events.some((e) => e.type === 'blob-done' && e.digest === simple.layers[0].descriptor.digest && !e.cached));
  noTemp(store);

  // Pulling again downloads nothing.
  const again: PullEvent[] = [];
  await pull(`${registry.host}/test/busybox:1`, { store, onProgress: (e) => again.push(e) });
  const done = again.filter((e) => e.type === 'blob-done');
  assert.equal(done.length, 2);
  assert.ok(done.every((e) => e.type === 'blob-done' && e.cached));
});

test('pull by digest records name@digest', async () => {
  const store = tempStore();
  const rec = await pull(`${registry.host}/test/busybox@${simple.manifest}`, { store });
  assert.equal(rec.reference, `${registry.host}/test/busybox@${simple.manifest}`);
  assert.equal(store.resolve(`${registry.host}/test/busybox@${simple.manifest}`)?.config, simple.config);
  await assert.rejects(pull(`${registry.host}/test/busybox@sha256:${'0'.repeat(64)}`, { store }), /manifest unknown/);
});

test('multi-layer pull keeps at most 3 downloads in flight', async () => {
  const store = tempStore();
  const p = await proxy({});
  const rec = await pull(`${p.host}/test/multi:1`, { store });
  assert.equal(rec.digest, multi.manifest);
  assert.equal(inspect(store, rec.reference).layers.length, 6);
  assert.ok(p.maxConcurrentBlobGets >= 1 && p.maxConcurrentBlobGets <= 3, `max in flight ${p.maxConcurrentBlobGets}`);
});

test('manifest list resolves to the host platform, or the one asked for', async () => {
  const store = tempStore();
  const rec = await pull(`${registry.host}/test/list:1`, { store });
  assert.equal(rec.digest, list.index);
  assert.equal(rec.mediaType, MediaType.OCI_INDEX);
  assert.equal(rec.manifest, list.manifest);
  assert.equal(rec.config, list.config);
  assert.ok(store.hasBlob(list.index) && store.hasBlob(list.manifest));
  assert.equal(store.hasBlob(list.other), false, 'the other platform is not downloaded');

  const other = tempStore();
  const r2 = await pull(`${registry.host}/test/list:1`, { store: other, platform: { os: 'linux', architecture: list.otherArch } });
  assert.equal(r2.manifest, list.other);
  assert.equal(inspect(other, r2.reference).architecture, list.otherArch);
  await assert.rejects(
    pull(`${registry.host}/test/list:1`, { store: tempStore(), platform: { os: 'linux', architecture: 's390x' } }),
    /no manifest for platform linux\/s390x \(available: linux\/.+, linux\/.+\)/,
  );
});

test('bearer token auth: anonymous token, token cached per scope', async () => {
  const p = await proxy({ bearer: true });
  const store = tempStore();
  await pull(`${p.host}/test/busybox:1`, { store });
  assert.equal(p.tokenRequests.length, 1, 'one token for the whole pull');
  assert.match(p.tokenRequests[0].url, /service=hako-test/);
  assert.match(decodeURIComponent(p.tokenRequests[0].url), /scope=repository:test\/busybox:pull/);
  assert.ok(p.seen.filter((r) => r.url.includes('/blobs/')).every((r) => r.authorization?.startsWith('Bearer ')));
});

test('bearer token auth with credentials from a docker config file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-authfile-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = await proxy({ bearer: true, credentials: { username: 'alice', password: 's3cret' } });
  const authFile = path.join(dir, 'config.json');
  const store = tempStore();
  // Without credentials: the token server refuses, nothing is tagged.
  await assert.rejects(
    pull(`${p.host}/test/busybox:1`, { store, client: new RegistryClient({ authFile }) }),
    /token server .*authentication required \(HTTP 401\)/,
  );
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [p.host]: { auth: Buffer.from('alice:wrong').toString('base64') } } }));
  await assert.rejects(pull(`${p.host}/test/busybox:1`, { store, client: new RegistryClient({ authFile }) }), /credentials rejected/);
  assert.deepEqual(store.listImages(), []);
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [p.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
  const saved = process.env.REGISTRY_AUTH_FILE;
  process.env.REGISTRY_AUTH_FILE = authFile;
  try {
    const rec = await pull(`${p.host}/test/busybox:1`, { store });
    assert.equal(rec.digest, simple.manifest);
  } finally {
    if (saved === undefined) delete process.env.REGISTRY_AUTH_FILE;
    else process.env.REGISTRY_AUTH_FILE = saved;
  }
  noTemp(store);
});

test('push through bearer auth', async () => {
  const p = await proxy({ bearer: true });
  await push('hako.test/busybox:1', { store: srcStore, destination: `${p.host}/pushed/busybox:2` });
  assert.ok(p.tokenRequests.some((r) => decodeURIComponent(r.url).includes('repository:pushed/busybox:pull,push')));
  const store = tempStore();
  assert.equal((await pull(`${registry.host}/pushed/busybox:2`, { store })).digest, simple.manifest);
});

test('blob redirects are followed without sending credentials to the other origin', async () => {
  const p = await proxy({ bearer: true, redirectBlobs: true });
  const store = tempStore();
  const rec = await pull(`${p.host}/test/busybox:1`, { store });
  assert.equal(rec.config, simple.config);
  const storage = p.seen.filter((r) => r.url.startsWith('/storage/'));
  assert.equal(storage.length, 2);
  assert.ok(storage.every((r) => r.authorization === undefined));
});

test('a corrupted layer fails the pull; index unchanged; no temp files', async () => {
  const store = tempStore();
  await pull(`${registry.host}/test/busybox:1`, { store });
  const before = fs.readFileSync(store.indexPath, 'utf8');
  const victim = multi.layers[3].descriptor.digest;
  const p = await proxy({ corruptDigest: victim });
  await assert.rejects(pull(`${p.host}/test/multi:1`, { store }), new RegExp(`blob ${victim}: digest mismatch`));
  assert.equal(fs.readFileSync(store.indexPath, 'utf8'), before);
  assert.equal(store.hasBlob(victim), false);
  assert.equal(store.hasBlob(multi.manifest), false);
  noTemp(store);
});

test('a partial download resumes with a Range request', async () => {
  const store = tempStore();
  const layer = simple.layers[0];
  const half = Math.floor(layer.gz.length / 2);
  fs.writeFileSync(store.partialPath(layer.descriptor.digest), layer.gz.subarray(0, half));
  const p = await proxy({});
  const progress: number[] = [];
  await pull(`${p.host}/test/busybox:1`, {
    store,
    onProgress: (e) => e.type === 'blob-progress' && e.digest === layer.descriptor.digest && progress.push(e.current),
  });
  const get = p.seen.find((r) => r.url.endsWith(layer.descriptor.digest) && r.method === 'GET');
  assert.equal(get?.range, `bytes=${half}-`);
  assert.equal(progress[0], half);
  assert.deepEqual(fs.readFileSync(store.blobPath(layer.descriptor.digest)), layer.gz);
  noTemp(store);
});

test('unknown repository and unreachable registry give one clear line', async () => {
  const store = tempStore();
  await assert.rejects(
    pull(`${registry.host}/test/nope:1`, { store }),
    (e: Error) => e.name === 'HakoError' && /test\/nope:1: (manifest unknown|name unknown)/.test(e.message),
  );
  await assert.rejects(pull('127.0.0.1:1/x:1', { store }), /cannot reach 127\.0\.0\.1:1: ECONNREFUSED/);
});

test('progress renderer: plain lines off a TTY, redrawn bars on a TTY', async () => {
  const capture = () => {
    let text = '';
    const w = new Writable({
      write(c, _e, cb) {
        text += c;
        cb();
      },
    });
    return { w, text: () => text };
  };
  const plain = capture();
  await pull(`${registry.host}/test/busybox:1`, { store: tempStore(), onProgress: createProgressRenderer(plain.w, { tty: false }) });
  assert.doesNotMatch(plain.text(), /\x1b\[/);
  assert.match(plain.text(), new RegExp(`${simple.layers[0].descriptor.digest.slice(7, 19)}: Pull complete`));
  assert.match(plain.text(), new RegExp(`Digest: ${simple.manifest}\nStatus: Downloaded newer image for `));
  assert.doesNotMatch(plain.text(), new RegExp(`${simple.config.slice(7, 19)}`), 'the config blob is no layer');
  assert.equal(plain.text().match(/^Digest: /gm)?.length, 1);
  const tty = capture();
  await pull(`${registry.host}/test/busybox:1`, { store: tempStore(), onProgress: createProgressRenderer(tty.w, { tty: true }) });
  assert.match(tty.text(), /\x1b\[2K/);
  // The bar itself, from events (a real pull of a small layer may finish between two redraws,
  // which are at most every 100 ms).
  const bars = capture();
  const render = createProgressRenderer(bars.w, { tty: true });
  const digest = `sha256:${'ab'.repeat(32)}`;
  render({ type: 'blob-start', digest, size: 2000, kind: 'layer' });
  await new Promise((r) => setTimeout(r, 110));
  render({ type: 'blob-progress', digest, current: 1000, total: 2000 });
  render({ type: 'blob-done', digest, size: 2000, cached: false });
  assert.match(bars.text(), /abababababab: Downloading \[=+> +\] 1\.0kB\/2\.0kB/);
  assert.match(bars.text(), /\x1b\[1A\r\x1b\[2Kabababababab: Pull complete \(2\.0kB\)/);
});

test('basic auth from the credentials file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-authfile-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = await proxy({ basic: { username: 'bob', password: 'pw' } });
  const authFile = path.join(dir, 'config.json');
  const store = tempStore();
  await assert.rejects(
    pull(`${p.host}/test/busybox:1`, { store, client: new RegistryClient({ authFile }) }),
    /authentication required \(no credentials for 127\.0\.0\.1:\d+ in /,
  );
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [`http://${p.host}`]: { auth: Buffer.from('bob:pw').toString('base64') } } }));
  const rec = await pull(`${p.host}/test/busybox:1`, { store, client: new RegistryClient({ authFile }) });
  assert.equal(rec.digest, simple.manifest);
  assert.ok(p.seen.filter((r) => r.url.includes('/blobs/')).every((r) => r.authorization === 'Basic ' + Buffer.from('bob:pw').toString('base64')));
});

test('interop with skopeo: a layout saved by hako, copied by skopeo, pulled by hako', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hako-skopeo-')), 'layout');
  cleanup.push(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));
  await saveOCILayout(srcStore, ['hako.test/multi:1'], out);
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${out}:1`, `docker://${registry.host}/skopeo/multi:1`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/test/busybox:1`]).toString());
  assert.equal(raw.config.digest, simple.config, 'skopeo reads what hako pushed');
  const rec = await pull(`${registry.host}/skopeo/multi:1`, { store: tempStore() });
  assert.equal(rec.config, multi.config);
});

test('insecure registries: loopback and listed hosts use http, others https', () => {
  const saved = process.env.HAKO_INSECURE_REGISTRIES;
  process.env.HAKO_INSECURE_REGISTRIES = 'reg.lan:5000, other.lan';
  try {
    const c = new RegistryClient({ insecure: ['opt.lan'] });
    assert.equal(c.baseUrl(parseReference('localhost:5000/x')), 'http://localhost:5000');
    assert.equal(c.baseUrl(parseReference('reg.lan:5000/x')), 'http://reg.lan:5000');
    assert.equal(c.baseUrl(parseReference('opt.lan/x')), 'http://opt.lan');
    assert.equal(c.baseUrl(parseReference('reg.lan/x')), 'https://reg.lan');
    assert.equal(c.baseUrl(parseReference('busybox')), 'https://registry-1.docker.io');
  } finally {
    if (saved === undefined) delete process.env.HAKO_INSECURE_REGISTRIES;
    else process.env.HAKO_INSECURE_REGISTRIES = saved;
  }
});
