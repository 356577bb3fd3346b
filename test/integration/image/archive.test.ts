// load/save/import without a registry: OCI layouts (dir and tar), docker save archives, rootfs imports.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { ContentStore } from '../../../src/storage/store/index.js';
import { loadImage, importRootfs, saveOCILayout, saveOCIArchive, inspect } from '../../../src/image/index.js';
import { buildBusyboxImage, buildMultiArchImage, busyboxLayerTar, writeDockerSaveArchive, sha256 } from '../../fixtures/images.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-archive-'));
  dirs.push(d);
  return d;
}
const tempStore = () => new ContentStore(tempDir());
const noTemp = (s: ContentStore) => assert.deepEqual(fs.readdirSync(s.tmpDir), []);

test('save to an OCI layout directory and load it back', async () => {
  const src = tempStore();
  const a = await buildBusyboxImage(src, 'hako.test/a:1', { extraLayers: 1 });
  const l = await buildMultiArchImage(src, 'hako.test/list:2');
  const out = path.join(tempDir(), 'layout');
  await saveOCILayout(src, ['hako.test/a:1', 'hako.test/list:2'], out);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const idx = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8'));
  assert.equal(idx.manifests[0].annotations['org.opencontainers.image.ref.name'], '1');
  assert.equal(idx.manifests[0].annotations['io.containerd.image.name'], 'hako.test/a:1');
  await assert.rejects(saveOCILayout(src, ['hako.test/a:1'], out), /exists and is not empty/);

  const dst = tempStore();
  const recs = await loadImage(dst, out);
  assert.deepEqual(
    recs.map((r) => r.reference),
    ['hako.test/a:1', 'hako.test/list:2'],
  );
  assert.equal(recs[0].digest, a.manifest);
  assert.equal(recs[1].digest, l.index);
  assert.equal(recs[1].manifest, l.manifest);
  assert.ok(dst.hasBlob(l.other), 'both platforms travel with the index');
  assert.deepEqual(
    inspect(dst, 'hako.test/a:1').layers.map((x) => x.diffID),
    a.layers.map((x) => x.diffId),
  );
  noTemp(dst);
});

test('save to an OCI archive tar and load it (plain and gzipped), with a reference override', async () => {
  const src = tempStore();
  const a = await buildBusyboxImage(src, 'hako.test/a:1');
  const tarFile = path.join(tempDir(), 'a.tar');
  await saveOCIArchive(src, ['hako.test/a:1'], tarFile);
  const dst = tempStore();
  const [rec] = await loadImage(dst, tarFile);
  assert.equal(rec.reference, 'hako.test/a:1');
  assert.equal(rec.digest, a.manifest);
  const gz = `${tarFile}.gz`;
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(tarFile)));
  const [rec2] = await loadImage(dst, gz, { reference: 'other/name:7' });
  assert.equal(rec2.reference, 'docker.io/other/name:7');
  assert.equal(rec2.config, a.config);
  noTemp(dst);
});

test('a layout with a corrupt blob loads nothing and leaves no temp files', async () => {
  const src = tempStore();
  const a = await buildBusyboxImage(src, 'hako.test/a:1');
  const out = path.join(tempDir(), 'layout');
  await saveOCILayout(src, ['hako.test/a:1'], out);
  const victim = path.join(out, 'blobs/sha256', a.layers[0].descriptor.digest.slice(7));
  const buf = fs.readFileSync(victim);
  buf[100] ^= 0xff;
  fs.writeFileSync(victim, buf);
  const dst = tempStore();
  await assert.rejects(loadImage(dst, out), /digest mismatch/);
  assert.deepEqual(dst.listImages(), []);
  noTemp(dst);
  // An index entry with only a tag and no reference given: a clear error.
  const idxPath = path.join(out, 'index.json');
  const idx = JSON.parse(fs.readFileSync(idxPath, 'utf8'));
  delete idx.manifests[0].annotations['io.containerd.image.name'];
  fs.writeFileSync(idxPath, JSON.stringify(idx));
  await assert.rejects(loadImage(dst, out), /manifests\[0\] has no image name \(only the tag "1"\)/);
  await assert.rejects(loadImage(dst, path.join(out, 'nope')), /no such file or directory/);
  await assert.rejects(loadImage(dst, path.join(out, 'blobs')), /neither an OCI image layout/);
});

test('load a docker save archive: plain and gzipped layers, symlinked duplicate, diffIDs checked', async () => {
  const file = path.join(tempDir(), 'save.tar');
  const { diffIds, config } = await writeDockerSaveArchive(file, ['busybox:saved', 'hako.test/x:1'], 1);
  const s = tempStore();
  const recs = await loadImage(s, file);
  assert.deepEqual(
    recs.map((r) => r.reference),
    ['docker.io/library/busybox:saved', 'hako.test/x:1'],
  );
  const info = inspect(s, 'busybox:saved');
  assert.equal(info.id, config);
  assert.deepEqual(
    info.layers.map((l) => l.diffID),
    diffIds,
  );
  assert.equal(info.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar');
  assert.equal(info.layers[0].digest, diffIds[0], 'an uncompressed layer is stored as is');
  assert.equal(info.layers[1].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(info.layers[2].digest, info.layers[0].digest);
  noTemp(s);

  const untagged = path.join(tempDir(), 'untagged.tar');
  await writeDockerSaveArchive(untagged, null, 0);
  await assert.rejects(loadImage(tempStore(), untagged), /has no RepoTags: give a reference/);
  const [r] = await loadImage(s, untagged, { reference: 'named:now' });
  assert.equal(r.reference, 'docker.io/library/named:now');
});

test('import a rootfs tarball as a one-layer image', async () => {
  const tarBuf = await busyboxLayerTar();
  const file = path.join(tempDir(), 'rootfs.tar');
  fs.writeFileSync(file, tarBuf);
  const s = tempStore();
  const rec = await importRootfs(s, file, 'imported:1', { config: { Cmd: ['/bin/sh'] } });
  const info = inspect(s, 'imported:1');
  assert.equal(rec.reference, 'docker.io/library/imported:1');
  assert.equal(info.layers.length, 1);
  assert.equal(info.layers[0].diffID, sha256(tarBuf));
  assert.equal(info.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.deepEqual(zlib.gunzipSync(s.readBlob(info.layers[0].digest)), tarBuf);
  assert.deepEqual(info.config.Cmd, ['/bin/sh']);
  assert.ok(info.config.Env.some((e) => e.startsWith('PATH=')));
  assert.equal(info.os, 'linux');
  // From a gzipped stream: same diffID.
  const rec2 = await importRootfs(s, Readable.from([zlib.gzipSync(tarBuf)]), 'imported:2');
  assert.equal(inspect(s, rec2.reference).layers[0].diffID, sha256(tarBuf));
  noTemp(s);

  // Not a tar: a clear error, no image, no blob left behind.
  const blobsBefore = fs.readdirSync(s.blobsDir).sort();
  const junk = path.join(tempDir(), 'junk.tar');
  fs.writeFileSync(junk, 'this is not a tar archive'.repeat(100));
  await assert.rejects(importRootfs(s, junk, 'junk:1'), new RegExp(`${junk}: not a tar archive`));
  assert.equal(s.resolve('junk:1'), undefined);
  assert.deepEqual(fs.readdirSync(s.blobsDir).sort(), blobsBefore);
  noTemp(s);
  await assert.rejects(importRootfs(s, file, 'Bad:Ref'), /invalid image reference "Bad:Ref"/);
});

test('a docker save directory cannot name files outside itself', async () => {
  const dir = tempDir();
  const outside = path.join(path.dirname(dir), `${path.basename(dir)}-outside.json`);
  fs.writeFileSync(outside, '{}');
  dirs.push(outside);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: `../${path.basename(outside)}`, RepoTags: ['hako.test/x:1'], Layers: [] }]));
  const store = tempStore();
  await assert.rejects(loadImage(store, dir), /points outside the archive/);
  assert.deepEqual(store.listImages(), []);
  noTemp(store);
});
