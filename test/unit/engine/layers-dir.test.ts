// The unpacked layers of the store: private even under a world-readable --root, and pruning takes
// the temporary directories of unpackers that died (issue 12 §2).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareRootfs, pruneLayers } from '../../../src/engine/rootfs.js';
import { HakoError } from '../../../src/util/errors.js';
import { ContentStore } from '../../../src/storage/store/index.js';
import { makeTar, tempDir } from '../storage/helpers.js';

test('the store keeps layers/ (and blobs/, tmp/) 0700 even when the user made them 0755', (t) => {
  const root = join(tempDir(t, 'hako-store-'), 'root');
  mkdirSync(join(root, 'layers'), { recursive: true, mode: 0o755 });
  mkdirSync(join(root, 'blobs'), { mode: 0o755 });
  chmodSync(root, 0o755);
  chmodSync(join(root, 'layers'), 0o755);
  const store = new ContentStore(root);
  for (const d of ['layers', 'blobs', 'tmp']) assert.equal(statSync(join(root, d)).mode & 0o777, 0o700, d);
  assert.equal(store.layersDir, join(root, 'layers'));
  // a fresh store too
  const fresh = new ContentStore(join(tempDir(t, 'hako-store-'), 'new'));
  assert.equal(statSync(fresh.layersDir).mode & 0o777, 0o700);
});

test('pruneLayers removes temp dirs of dead unpackers (deep, with symlinks out), keeps live ones', (t) => {
  const top = tempDir(t, 'hako-store-');
  const store = new ContentStore(join(top, 'root'));
  const outside = join(top, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'keep'), 'x');
  const dead = spawnSync('true').pid!; // exited: its pid is free
  const deadTmp = join(store.layersDir, `sha256-${'a'.repeat(64)}.tmp-${dead}`);
  mkdirSync(join(deadTmp, 'a/b/c'), { recursive: true });
  symlinkSync(outside, join(deadTmp, 'a/out'));
  const liveTmp = join(store.layersDir, `sha256-${'b'.repeat(64)}.tmp-${process.pid}`);
  mkdirSync(liveTmp);
  const removed = pruneLayers(store, join(top, 'root', 'containers'));
  assert.deepEqual(removed, [`sha256-${'a'.repeat(64)}.tmp-${dead}`]);
  assert.deepEqual(readdirSync(store.layersDir), [`sha256-${'b'.repeat(64)}.tmp-${process.pid}`]);
  assert.ok(existsSync(join(outside, 'keep')));
});

test('a layer failing after a 2000-level tree: one clean error, no temp dir left (issue 12 §2)', async (t) => {
  const top = tempDir(t, 'hako-store-');
  const store = new ContentStore(join(top, 'root'));
  const deep = `${'d/'.repeat(2000)}f`;
  const tar = await makeTar([
    { name: 'short', data: 'x', paxRaw: { path: Buffer.from(deep) } },
    { name: '../escape', data: 'x' },
  ]);
  const blob = await store.putBlob(tar);
  const layer = { digest: blob.digest, mediaType: 'application/vnd.oci.image.layer.v1.tar', size: blob.size, diffID: blob.digest };
  await assert.rejects(prepareRootfs(store, [layer], join(top, 'c')), (e: unknown) => e instanceof HakoError && /"\.\.\/escape"/.test(e.message));
  assert.deepEqual(readdirSync(store.layersDir), [], 'the temp dir was removed');
});
