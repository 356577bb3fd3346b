// `container prune`, `image prune`, `network prune`, `system prune`, `system df` with real
// containers, images and networks: what is unused goes, what is used stays, the space is reported.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv, writeRootfsTarball } from './harness.js';
import { ContentStore } from '../../../src/storage/store/index.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-prune-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ids = () => env.ok(['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean).sort();

test('container prune removes exited and created containers, keeps running ones, reports their space', { skip }, () => {
  const running = env.ok(['run', '-d', '--network', 'none', IMAGE, 'sleep', '1000']).trim();
  env.ok(['run', '--name', 'wrote', '--network', 'none', IMAGE, 'sh', '-c', 'head -c 5000 /dev/zero > /big']);
  const exited = env.inspect('wrote').Id;
  const created = env.ok(['create', IMAGE, 'true']).trim();
  const labelled = env.ok(['create', '--label', 'keep=yes', IMAGE, 'true']).trim();
  const asked = env.hako(['container', 'prune'], { input: 'no\n' });
  assert.match(asked.stdout, /^WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] \n$/);
  assert.equal(ids().length, 4, 'answered no: nothing removed');
  const out = env.ok(['container', 'prune', '-f', '--filter', 'label!=keep=yes']);
  const m = /^Deleted Containers:\n([0-9a-f\n]+)\nTotal reclaimed space: (\S+)\n$/.exec(out);
  assert.ok(m, out);
  assert.deepEqual(m[1].trim().split('\n').sort(), [exited, created].sort());
  assert.match(m[2], /^5(\.\d+)?kB$/, 'the 5000 bytes the exited container wrote');
  assert.deepEqual(ids(), [running, labelled].sort());
  env.ok(['rm', '-f', running, labelled]);
});

test('image prune: dangling images; -a every image no container uses; blobs and layers go', { skip }, () => {
  const tarball = path.join(tmp, 'rootfs.tar');
  writeRootfsTarball(tarball, 'marker');
  const imported = env.ok(['import', tarball, 'hako.test/unused:1']).trim();
  const store = new ContentStore(env.root);
  const rec = store.resolve('hako.test/unused:1')!;
  store.tag(`hako.test/dangling@${rec.digest}`, rec.digest);
  const keepRunning = env.ok(['run', '-d', '--network', 'none', IMAGE, 'sleep', '1000']).trim();
  const dangling = env.ok(['image', 'prune', '-f']);
  assert.equal(dangling, `Deleted Images:\nuntagged: hako.test/dangling@${rec.digest}\n\nTotal reclaimed space: 0B\n`, 'the tagged image keeps the blobs');
  const all = env.ok(['image', 'prune', '-a', '-f']);
  assert.match(all, /^Deleted Images:\nuntagged: hako\.test\/unused:1\n/);
  assert.ok(all.includes(`deleted: ${imported}\n`), all);
  assert.match(all, /Total reclaimed space: [1-9][\d.]*[kM]B\n$/);
  assert.equal(store.hasBlob(imported), false);
  assert.deepEqual(env.ok(['images', '-q']).trim().split('\n').length, 1, 'the image in use stays');
  assert.ok(store.resolve(IMAGE));
  env.ok(['rm', '-f', keepRunning]);
});

test('network prune removes networks no container uses, never the default', { skip }, () => {
  env.ok(['network', 'create', 'prune-unused']);
  env.ok(['network', 'create', 'prune-used']);
  const c = env.ok(['run', '-d', '--network', 'prune-used', IMAGE, 'sleep', '1000']).trim();
  assert.equal(env.ok(['network', 'prune', '-f']), 'Deleted Networks:\nprune-unused\n\n');
  const names = env.ok(['network', 'ls', '-q']).split('\n');
  assert.ok(names.includes('prune-used') && names.includes('hako') && !names.includes('prune-unused'));
  env.ok(['rm', '-f', c]);
  assert.equal(env.ok(['network', 'prune', '-f']), 'Deleted Networks:\nprune-used\n\n');
});

test('system df counts, then system prune -a --volumes frees what is unused', { skip }, () => {
  const running = env.ok(['run', '-d', '--network', 'none', '-v', 'kept:/k', IMAGE, 'sleep', '1000']).trim();
  env.ok(['run', '--network', 'none', '-v', 'spare:/s', IMAGE, 'sh', '-c', 'head -c 2000 /dev/zero > /s/f']);
  env.ok(['run', '--network', 'none', '-v', '/anon', IMAGE, 'sh', '-c', 'head -c 1000 /dev/zero > /anon/f']);
  const df = env.ok(['system', 'df']);
  const row = (type: string) => new RegExp(`^${type}\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)`, 'm').exec(df)!.slice(1);
  assert.deepEqual(row('Containers').slice(0, 2), ['3', '1']);
  assert.deepEqual(row('Local Volumes'), ['3', '3', '3kB', '0B'], df);
  assert.deepEqual(row('Images').slice(0, 2), ['1', '1']);
  const json = env
    .ok(['system', 'df', '--format', 'json'])
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    json.map((r) => r.Type),
    ['Images', 'Containers', 'Local Volumes', 'Build Cache'],
  );
  // -v: docker's four sections, in its order, with its headers.
  const verbose = env.ok(['system', 'df', '-v']);
  const sections = verbose.split(/\n(?=Containers space usage:|Local Volumes space usage:|Build cache usage:)/);
  assert.equal(sections.length, 4, verbose);
  const [images, containers, volumes, cache] = sections.map((x) => x.split('\n').filter(Boolean));
  assert.equal(images[0], 'Images space usage:');
  assert.match(images[1], /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS$/);
  assert.match(images[2], /^hako\.local\/busybox\s+latest\s+[0-9a-f]{12}\s+.+ago\s+\S+B\s+0B\s+\S+B\s+3$/, 'three containers use it');
  assert.equal(containers[0], 'Containers space usage:');
  assert.match(containers[1], /^CONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES$/);
  assert.equal(containers.length, 5);
  assert.ok(
    containers.some((l) => l.startsWith(running.slice(0, 12)) && /"sleep 1000"\s+1\s+\S+B\s+.+ago\s+Up /.test(l)),
    containers.join('\n'),
  );
  assert.equal(volumes[0], 'Local Volumes space usage:');
  assert.match(volumes[1], /^VOLUME NAME\s+LINKS\s+SIZE$/);
  assert.ok(volumes.some((l) => /^kept\s+1\s+0B$/.test(l)) && volumes.some((l) => /^spare\s+1\s+2kB$/.test(l)), volumes.join('\n'));
  assert.deepEqual(cache, ['Build cache usage: 0B', 'CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED']);
  const both = env.hako(['system', 'df', '-v', '--format', 'json']);
  assert.equal(both.code, 1);
  assert.equal(both.stderr, 'hako: "hako system df": --format and -v cannot be combined\n');
  const out = env.ok(['system', 'prune', '-f', '-a', '--volumes']);
  assert.match(out, /^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nDeleted Volumes:\nanon-[0-9a-f]+\n\nTotal reclaimed space: /);
  assert.deepEqual(ids(), [running]);
  assert.deepEqual(env.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean).sort(), ['kept', 'spare'], 'named volumes stay (docker 23)');
  assert.ok(new ContentStore(env.root).resolve(IMAGE), 'the image in use stays');
  const after = env.ok(['system', 'df']);
  assert.match(after, /^Containers\s+1\s+1\s/m);
  env.ok(['rm', '-f', running]);
});

test('prune filters and flags are checked', { skip }, () => {
  for (const [args, code, re] of [
    [['container', 'prune', '-f', '--filter', 'color=red'], 1, /invalid filter "color=red"/],
    [['container', 'prune', '-f', '--filter', 'until=yesterday'], 1, /invalid filter "until=yesterday"/],
    [['system', 'prune', '--nope'], 125, /unknown flag: --nope/],
    [['image', 'prune', 'extra'], 1, /accepts no arguments/],
  ] as [string[], number, RegExp][]) {
    const r = env.hako(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.match(env.ok(['container', 'prune', '-f', '--filter', 'until=1h']), /^Total reclaimed space: 0B\n$/);
});
