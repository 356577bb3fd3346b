// `hako builder prune`: the build cache's dangling entries (a layer no image has) go, -a takes all,
// --filter until= keeps what was used since, and a build after a prune runs its steps again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HAKO, engineSkip, useEngineEnv, type EngineEnv } from '../engine/harness.js';
import { contextDir } from './helpers.js';
import { ContentStore } from '../../../src/storage/store/index.js';

const skip = engineSkip;
let env: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const entries = () => {
  const dir = path.join(env.root, 'build-cache');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')) : [];
};
/** Every blob as if written an hour ago: older than the grace period that spares fresh layers. */
const ageBlobs = () => {
  const dir = path.join(env.root, 'blobs', 'sha256');
  const then = new Date(Date.now() - 3600_000);
  for (const n of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, n), then, then);
};
const build = (tag: string, marker: string) => {
  const d = contextDir({ Dockerfile: `FROM hako.local/busybox\nRUN echo ${marker} > /marker\nENV M=${marker}\n` });
  dirs.push(d);
  return env.hako(['build', '-t', tag, d]);
};

test('builder prune removes dangling cache entries and their layers; -a removes all', { skip }, () => {
  assert.equal(build('hako.local/keep:1', 'kept').code, 0);
  assert.equal(build('hako.local/gone:1', 'gone').code, 0);
  const all = entries().length;
  assert.ok(all >= 4, `a RUN and an ENV entry per build: ${all}`);
  env.ok(['rmi', 'hako.local/gone:1']);
  ageBlobs();
  const out = env.ok(['builder', 'prune', '-f']);
  assert.match(out, /^Deleted build cache objects:\n[0-9a-f]{25}\n\nTotal reclaimed space: [1-9]/, 'the RUN layer only the cache held is freed');
  assert.equal(out.split('\n').filter((l) => /^[0-9a-f]{25}$/.test(l)).length, 1, 'only the RUN whose image is gone');
  assert.equal(entries().length, all - 1);
  // The kept image's steps still come from the cache; the pruned one's RUN runs again.
  const cached = (r: { stderr: string }) => (r.stderr.match(/^#\d+ CACHED$/gm) ?? []).length;
  assert.equal(cached(build('hako.local/keep:2', 'kept')), 1, 'the RUN from the cache');
  assert.equal(cached(build('hako.local/gone:2', 'gone')), 0, 'the RUN ran again');
  // Nothing dangling now.
  assert.equal(env.ok(['builder', 'prune', '-f']), 'Total reclaimed space: 0B\n');
  // until= a time before every entry's last use: none is old enough.
  assert.equal(env.ok(['builder', 'prune', '-a', '-f', '--filter', 'until=1h']), 'Total reclaimed space: 0B\n');
  const left = entries().length;
  const everything = env.ok(['builder', 'prune', '-a', '-f']);
  assert.equal(everything.split('\n').filter((l) => /^[0-9a-f]{25}$/.test(l)).length, left);
  assert.equal(entries().length, 0);
  // The images are untouched and run.
  assert.equal(env.ok(['run', '--rm', '--network', 'none', 'hako.local/keep:1', 'cat', '/marker']), 'kept\n');
});

test('builder prune asks first, and refuses what it does not take', { skip }, () => {
  assert.equal(build('hako.local/ask:1', 'ask').code, 0);
  env.ok(['rmi', 'hako.local/ask:1']);
  const before = entries().length;
  const no = env.hako(['builder', 'prune'], { input: 'n\n' });
  assert.equal(no.code, 0);
  assert.match(no.stdout, /WARNING! This will remove all dangling build cache\.\nAre you sure you want to continue\? \[y\/N\]/);
  assert.equal(entries().length, before, 'nothing removed on no');
  const yes = env.hako(['builder', 'prune'], { input: 'y\n' });
  assert.match(yes.stdout, /Deleted build cache objects:/);
  assert.ok(entries().length < before);
  assert.notEqual(env.hako(['builder', 'prune', '-f', '--filter', 'label=x']).code, 0);
  assert.notEqual(env.hako(['builder', 'prune', '-f', '--filter', 'until=soon']).code, 0);
  assert.notEqual(env.hako(['builder', 'prune', 'extra']).code, 0);
});

test('system prune removes dangling build cache, and -a all of it', { skip }, () => {
  assert.equal(build('hako.local/sys:1', 'sys').code, 0);
  env.ok(['rmi', 'hako.local/sys:1']);
  const before = entries().length;
  const out = env.ok(['system', 'prune', '-f']);
  assert.match(out, /Deleted build cache objects:\n[0-9a-f]{25}\n/);
  assert.equal(entries().length, before - 1);
  assert.equal(build('hako.local/sys:2', 'sys2').code, 0);
  env.ok(['system', 'prune', '-f', '-a']);
  assert.equal(entries().length, 0);
});

test('system df counts the build cache; -v lists its entries, each used by both builds', { skip }, () => {
  env.hako(['builder', 'prune', '-a', '-f']);
  assert.equal(build('hako.local/df:1', 'df').code, 0);
  assert.equal(build('hako.local/df:2', 'df').code, 0); // the same steps: each entry used twice
  const row = /^Build Cache\s+(\d+)\s+0\s+(\S+)\s/m.exec(env.ok(['system', 'df']));
  assert.ok(row, 'a Build Cache row');
  assert.equal(Number(row[1]), entries().length);
  const verbose = env.ok(['system', 'df', '-v']);
  const cache = verbose.slice(verbose.indexOf('\nBuild cache usage: ')).split('\n').filter(Boolean);
  assert.match(cache[0], /^Build cache usage: [1-9]/);
  assert.match(cache[1], /^CACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED$/);
  assert.equal(cache.length - 2, entries().length);
  assert.ok(
    cache.slice(2).every((l) => /^[0-9a-f]{12}\s+regular\s+\S+B\s+.+ago\s+.+ago\s+2\s+(true|false)$/.test(l)),
    cache.join('\n'),
  );
  assert.ok(
    cache.some((l) => /\s[1-9]\d*B\s.*\s2\s+true$/.test(l)),
    "the RUN's entry: a layer, used by both builds, the image's too (shared)",
  );
});

test('builder prune -a during a build in another process keeps the layer the build just wrote', { skip }, async () => {
  const d = contextDir({ Dockerfile: 'FROM hako.local/busybox\nRUN echo first > /first\nRUN sleep 3\n' });
  dirs.push(d);
  const before = entries().length;
  const building = spawn(HAKO, ['--root', env.root, 'build', '-t', 'hako.local/raced:1', d], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  building.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => building.on('close', resolve));
  await env.until('the first RUN to be cached', () => entries().length > before, 30_000);
  // The first RUN's layer is in no image yet: without the grace period prune -a deleted it here.
  const pruned = env.ok(['builder', 'prune', '-a', '-f']);
  assert.match(pruned, /^Deleted build cache objects:\n/);
  assert.equal(await exited, 0, stderr);
  const store = new ContentStore(env.root);
  const layers = store.readJSON<{ layers: { digest: string }[] }>(store.resolve('hako.local/raced:1')!.manifest).layers;
  assert.deepEqual(
    layers.filter((l) => !store.hasBlob(l.digest)),
    [],
    'every layer the image names is in the store (save and push need them)',
  );
  assert.equal(env.ok(['run', '--rm', '--network', 'none', 'hako.local/raced:1', 'cat', '/first']), 'first\n');
  env.ok(['rmi', 'hako.local/raced:1']);
});
