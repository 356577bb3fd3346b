import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, sha256 } from '../../../src/storage/store/index.js';
import { MediaType } from '../../../src/oci/image/types.js';

function tempStore(t: { after: (fn: () => void) => void }): ContentStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-store-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return new ContentStore(dir);
}

const tmpFiles = (s: ContentStore) => fs.readdirSync(s.tmpDir);

/** Stores a tiny image (config + one layer + manifest) and returns the digests. */
async function tinyImage(s: ContentStore, layerText = 'layer') {
  const layer = await s.putBlob(Buffer.from(layerText));
  const config = await s.putBlob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
  const manifest = await s.putBlob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, digest: config.digest, size: config.size },
      layers: [{ mediaType: MediaType.OCI_LAYER, digest: layer.digest, size: layer.size }],
    }),
  );
  return { layer: layer.digest, config: config.digest, manifest: manifest.digest };
}

test('putBlob stores buffers and streams under their digest', async (t) => {
  const s = tempStore(t);
  const data = Buffer.from('hello world');
  const a = await s.putBlob(data, sha256(data));
  assert.deepEqual(a, { digest: sha256(data), size: data.length });
  assert.ok(s.hasBlob(a.digest));
  assert.equal(fs.readFileSync(s.blobPath(a.digest), 'utf8'), 'hello world');
  const b = await s.putBlob(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
  assert.equal(b.digest, a.digest);
  assert.deepEqual(tmpFiles(s), []);
});

test('a bad digest is rejected and leaves no blob and no temp file', async (t) => {
  const s = tempStore(t);
  const wrong = sha256('something else');
  await assert.rejects(s.putBlob(Buffer.from('data'), wrong), /digest mismatch/);
  assert.equal(s.hasBlob(wrong), false);
  assert.equal(s.hasBlob(sha256('data')), false);
  assert.deepEqual(fs.readdirSync(s.blobsDir), []);
  assert.deepEqual(tmpFiles(s), []);
  await assert.rejects(s.putBlob(Buffer.from('data'), sha256('data'), { expectedSize: 3 }), /more data than the expected 3 bytes/);
  await assert.rejects(s.putBlob(Buffer.from('data'), sha256('data'), { expectedSize: 5 }), /size mismatch/);
  assert.deepEqual(fs.readdirSync(s.blobsDir), []);
  assert.deepEqual(tmpFiles(s), []);
  await assert.rejects(s.putBlob(Buffer.from('x'), 'sha256:nothex'), /invalid digest "sha256:nothex"/);
});

test('a failing source stream leaves no temp file', async (t) => {
  const s = tempStore(t);
  async function* broken() {
    yield Buffer.from('partial');
    throw new Error('connection reset');
  }
  await assert.rejects(s.putBlob(broken()), /connection reset/);
  assert.deepEqual(tmpFiles(s), []);
  assert.deepEqual(fs.readdirSync(s.blobsDir), []);
});

test('writeResumable resumes from a partial file and drops it on a bad digest', async (t) => {
  const s = tempStore(t);
  const data = Buffer.from('0123456789abcdef');
  const digest = sha256(data);
  fs.writeFileSync(s.partialPath(digest), data.subarray(0, 6));
  const offsets: number[] = [];
  const info = await s.writeResumable(
    digest,
    async (offset) => {
      offsets.push(offset);
      return { stream: Readable.from([data.subarray(offset)]), offset };
    },
    { expectedSize: data.length },
  );
  assert.deepEqual(offsets, [6]);
  assert.equal(info.digest, digest);
  assert.deepEqual(fs.readFileSync(s.blobPath(digest)), data);
  assert.deepEqual(tmpFiles(s), []);

  // A source that ignores the range (offset 0) restarts the file.
  const d2 = Buffer.from('the second blob');
  fs.writeFileSync(s.partialPath(sha256(d2)), 'garbage!');
  await s.writeResumable(sha256(d2), async () => ({ stream: Readable.from([d2]), offset: 0 }));
  assert.deepEqual(fs.readFileSync(s.blobPath(sha256(d2))), d2);

  // Transfer error: partial kept for the next attempt. Bad content: removed.
  const d3 = Buffer.from('third blob content');
  async function* cut() {
    yield d3.subarray(0, 5);
    throw new Error('reset');
  }
  await assert.rejects(
    s.writeResumable(sha256(d3), async () => ({ stream: cut(), offset: 0 })),
    /reset/,
  );
  assert.equal(fs.statSync(s.partialPath(sha256(d3))).size, 5);
  await assert.rejects(
    s.writeResumable(sha256(d3), async (o) => ({ stream: Readable.from([Buffer.from('XXXXXXXXXXXXXXXXXXXXX').subarray(o)]), offset: o })),
    /digest mismatch/,
  );
  assert.deepEqual(tmpFiles(s), []);
  assert.equal(s.hasBlob(sha256(d3)), false);
});

test('tag, resolve by name, digest and ID, list, remove with inUse, gc', async (t) => {
  const s = tempStore(t);
  const a = await tinyImage(s, 'layer-a');
  const b = await tinyImage(s, 'layer-b');
  const orphan = await s.putBlob(Buffer.from('orphan'));
  const recA = s.tag('busybox', a.manifest);
  assert.equal(recA.reference, 'docker.io/library/busybox:latest');
  assert.equal(recA.config, a.config);
  assert.equal(recA.manifest, a.manifest);
  s.tag('localhost:5000/b:1', b.manifest);
  s.tag('localhost:5000/b:2', b.manifest);
  assert.equal(s.resolve('busybox:latest')?.digest, a.manifest);
  assert.equal(s.resolve(`busybox@${a.manifest}`)?.reference, recA.reference);
  assert.equal(s.resolve(a.config.slice(7, 19))?.reference, recA.reference);
  assert.equal(s.resolve('nothere'), undefined);
  assert.deepEqual(
    s.listImages().map((r) => r.reference),
    ['docker.io/library/busybox:latest', 'localhost:5000/b:1', 'localhost:5000/b:2'],
  );

  assert.throws(() => s.removeImage('busybox', { inUse: (d) => d === a.config }), /in use by a container/);
  assert.throws(() => s.removeImage(b.config), /referenced by 2 tags/);
  assert.throws(() => s.removeImage('ghost'), /image "ghost" not found/);
  assert.deepEqual(s.removeImage('localhost:5000/b:1'), ['localhost:5000/b:1']);

  let r = s.gc({ gracePeriodMs: 0 });
  assert.deepEqual(r.removed, [orphan.digest]);
  assert.ok(s.hasBlob(b.layer));

  assert.deepEqual(s.removeImage('busybox', { force: true, inUse: () => true }), ['docker.io/library/busybox:latest']);
  r = s.gc({ gracePeriodMs: 0 });
  assert.deepEqual(r.removed.sort(), [a.config, a.layer, a.manifest].sort());
  assert.ok(s.hasBlob(b.manifest) && s.hasBlob(b.config) && s.hasBlob(b.layer));
  // A grace period protects fresh blobs that a concurrent pull has not tagged yet.
  const fresh = await s.putBlob(Buffer.from('fresh'));
  assert.deepEqual(s.gc().removed, []);
  assert.ok(s.hasBlob(fresh.digest));
});

test('tagging an index needs the platform manifest in the store', async (t) => {
  const s = tempStore(t);
  const a = await tinyImage(s);
  const idx = await s.putBlob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OCI_INDEX,
      manifests: [{ mediaType: MediaType.OCI_MANIFEST, digest: a.manifest, size: 1, platform: { os: 'linux', architecture: 's390x' } }],
    }),
  );
  assert.throws(() => s.tag('x', idx.digest), /no manifest for platform/);
  const rec = s.tag('x', idx.digest, { manifest: a.manifest });
  assert.equal(rec.digest, idx.digest);
  assert.equal(rec.manifest, a.manifest);
  assert.equal(s.gc({ gracePeriodMs: 0 }).removed.length, 0);
});

test('index writes are atomic and a corrupt index is reported by path', async (t) => {
  const s = tempStore(t);
  const a = await tinyImage(s);
  s.tag('x:1', a.manifest);
  assert.deepEqual(tmpFiles(s), []);
  assert.equal(fs.existsSync(s.lockPath), false);
  fs.writeFileSync(s.indexPath, '{"images":');
  assert.throws(() => s.listImages(), new RegExp(`${s.indexPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: corrupt image index`));
});

test('two processes tagging at once both land in the index', async (t) => {
  const s = tempStore(t);
  const a = await tinyImage(s);
  const { spawn } = await import('node:child_process');
  const storeModule = new URL('../../../src/storage/store/index.js', import.meta.url).href;
  const script = (prefix: string) => `
    const { ContentStore } = await import(${JSON.stringify(storeModule)});
    const s = new ContentStore(${JSON.stringify(s.root)});
    for (let i = 0; i < 25; i++) s.tag('${prefix}' + i, '${a.manifest}');`;
  const run = (prefix: string) =>
    new Promise<number>((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script(prefix)], { stdio: 'inherit' });
      p.on('exit', (code) => resolve(code ?? -1));
    });
  assert.deepEqual(await Promise.all([run('p/a:'), run('p/b:')]), [0, 0]);
  assert.equal(s.listImages().length, 50);
  assert.deepEqual(tmpFiles(s), []);
});

test('two downloads of the same blob at once never share a file', async (t) => {
  const s = tempStore(t);
  const data = Buffer.alloc(256 * 1024, 7);
  for (let i = 0; i < data.length; i += 97) data[i] = i & 0xff;
  const digest = sha256(data);
  fs.writeFileSync(s.partialPath(digest), data.subarray(0, 1000));
  async function* slow(from: number) {
    for (let i = from; i < data.length; i += 8192) {
      await new Promise((r) => setImmediate(r));
      yield data.subarray(i, Math.min(i + 8192, data.length));
    }
  }
  const offsets: number[] = [];
  const dl = () =>
    s.writeResumable(
      digest,
      async (offset) => {
        offsets.push(offset);
        return { stream: slow(offset), offset };
      },
      { expectedSize: data.length },
    );
  const [a, b] = await Promise.all([dl(), dl()]);
  assert.equal(a.digest, digest);
  assert.equal(b.digest, digest);
  assert.deepEqual(
    offsets.sort((x, y) => x - y),
    [0, 1000],
    'one resumed the partial, the other started fresh',
  );
  assert.deepEqual(fs.readFileSync(s.blobPath(digest)), data);
  assert.deepEqual(tmpFiles(s), []);
});
