// Layers unpacked by the bundled CLI (bin/hako runs dist/hako.cjs or its snapshot): raw PAX xattr
// bytes survive bundling (pax-raw.ts is hako's own code, not a patch of tar-stream's files), and
// issue 12's reported attack (e/, e/victim/ 04777 1234:1234, then e -> a host directory) leaves the
// host directory alone when run through `hako import` and `hako run`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { built, HAKO, isRoot } from '../engine/harness.js';
import { makeTar, xattrsOf } from '../../unit/storage/helpers.js';
import { removeTree } from '../../../src/storage/layers/index.js';

const skip = !isRoot ? 'needs root (security.* xattrs, owners)' : !built ? 'needs npm run build (dist/hako.cjs)' : false;

test('through the bundle: binary PAX xattrs intact, a later symlink gets no queued metadata', { skip, timeout: 120_000 }, async (t) => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-bundle-layer-'));
  t.after(() => removeTree(top));
  const root = path.join(top, 'root');
  const host = path.join(top, 'host');
  fs.mkdirSync(path.join(host, 'victim'), { recursive: true });
  const before = fs.lstatSync(path.join(host, 'victim'));
  const bin = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
  const busybox = fs.readFileSync('/bin/busybox');
  const tar = await makeTar([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', data: busybox, mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'marked', data: 'x', paxRaw: { 'SCHILY.xattr.user.bin': bin } },
    { name: 'e/', type: 'directory' },
    { name: 'e/victim/', type: 'directory', mode: 0o4777, uid: 1234, gid: 1234 },
    { name: 'e', type: 'symlink', linkname: host },
  ]);
  const tarFile = path.join(top, 'layer.tar');
  fs.writeFileSync(tarFile, tar);
  const hako = (args: string[]) => {
    const r = spawnSync(HAKO, ['--root', root, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HAKO_ROOT: undefined } });
    assert.equal(r.status, 0, `hako ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  hako(['import', tarFile, 'hako.local/attack:1']);
  assert.equal(hako(['run', '--rm', '--network', 'none', 'hako.local/attack:1', '/bin/sh', '-c', 'echo ran']), 'ran\n');
  const layers = path.join(root, 'layers');
  assert.equal(fs.statSync(layers).mode & 0o777, 0o700, 'layers/ is private');
  const [layer] = fs.readdirSync(layers);
  assert.ok(layer && !layer.includes('.tmp-'), `one unpacked layer: ${fs.readdirSync(layers).join(',')}`);
  const x = await xattrsOf(path.join(layers, layer), 'marked');
  assert.deepEqual(x['user.bin'], bin, 'the non-UTF-8 value arrived byte for byte');
  const after = fs.lstatSync(path.join(host, 'victim'));
  assert.deepEqual(
    [after.mode, after.uid, after.gid, after.mtimeMs],
    [before.mode, before.uid, before.gid, before.mtimeMs],
    'the host directory kept its mode, owner and mtime',
  );
  assert.ok(fs.lstatSync(path.join(layers, layer, 'e')).isSymbolicLink());
  hako(['rmi', 'hako.local/attack:1']);
});
