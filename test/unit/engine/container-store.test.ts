// The container store's directories appear and disappear whole: a hako killed half-way through a
// create or an rm leaves a dot-directory that no reader lists and a prune finishes, never a
// container directory without its config (the engine harness's "left things behind").
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContainerStore } from '../../../src/engine/store.js';
import type { ContainerConfig } from '../../../src/engine/types.js';
import { tempDir } from '../storage/helpers.js';

function config(id: string, name: string): ContainerConfig {
  return { id, name, created: 'now', image: 'i', imageId: 'sha256:x', imageRef: 'i', options: {}, path: 'sh', args: [] } as unknown as ContainerConfig;
}

test('create makes the directory with its config in one step; remove takes it and the name away', (t) => {
  const store = new ContainerStore(tempDir(t, 'hako-cstore-'));
  const id = 'b'.repeat(64);
  store.create(config(id, 'web'));
  assert.deepEqual(readdirSync(store.dir), [id]);
  assert.ok(existsSync(store.exitDir(id)));
  assert.deepEqual(store.ids(), [id]);
  mkdirSync(join(store.containerDir(id), 'fs', 'upper', 'deep'), { recursive: true });
  store.remove(id, 'web');
  assert.deepEqual(readdirSync(store.dir), []);
  assert.ok(!existsSync(join(store.root, 'names', 'web')));
  store.remove(id, 'web'); // a second remover finds nothing to do
});

test('sweepAbandoned finishes an old half-made create or cut-short rm, and leaves young ones alone', (t) => {
  const store = new ContainerStore(tempDir(t, 'hako-cstore-'));
  mkdirSync(store.dir, { recursive: true });
  const old = new Date(Date.now() - 5 * 60_000);
  const creating = join(store.dir, `.creating-${'c'.repeat(64)}`);
  const removing = join(store.dir, `.removing-${'d'.repeat(64)}`);
  const young = join(store.dir, `.removing-${'e'.repeat(64)}`);
  for (const d of [creating, removing, young]) {
    mkdirSync(join(d, 'fs', 'upper'), { recursive: true });
    writeFileSync(join(d, 'fs', 'upper', 'f'), 'x');
  }
  utimesSync(creating, old, old);
  utimesSync(removing, old, old);
  assert.deepEqual(store.ids(), [], 'dot-directories are never containers');
  store.sweepAbandoned();
  assert.deepEqual(readdirSync(store.dir), [`.removing-${'e'.repeat(64)}`]);
});

test('lock: two requests of one process take turns; a nested lock of the same call chain re-enters', async (t) => {
  const store = new ContainerStore(tempDir(t, 'hako-cstore-'));
  const id = 'f'.repeat(64);
  store.create(config(id, 'locked'));
  const trail: string[] = [];
  const request = (name: string) =>
    store.lock(id, async () => {
      trail.push(`${name} in`);
      await store.lock(id, () => trail.push(`${name} nested`)); // re-entrant: would deadlock otherwise
      await new Promise((r) => setTimeout(r, 20));
      trail.push(`${name} out`);
    });
  await Promise.all([request('a'), request('b')]);
  assert.deepEqual(trail, ['a in', 'a nested', 'a out', 'b in', 'b nested', 'b out']);
  assert.ok(!existsSync(join(store.containerDir(id), 'lock')), 'released');
});
