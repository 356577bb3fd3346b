// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// Images: images/rmi, save/load/import (files, stdin and stdout), and the shared unpacked layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv, writeRootfsTarball } from './harness.js';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('images lists the built-in image; rmi refuses an image in use', { skip }, () => {
  assert.match(env.ok(['images']), /hako\.local\/busybox\s+latest\s+[0-9a-f]{12}/);
  const id = env.ok(['create', '--name', 'user', IMAGE, 'true']).trim();
  const r = env.hako(['rmi', IMAGE]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in use by a container/);
  assert.equal(env.inspect(id).State.Status, 'created');
  env.ok(['rm', id]);
});

test('save, load and import move images without a registry', { skip }, () => {
  const out = path.join(env.root, 'saved.tar');
  let r = env.hako(['save', '-o', out, 'hako.local/busybox']);
  assert.equal(r.code, 0, r.stderr);
  const other = new EngineEnv();
  try {
    r = other.hako(['rmi', 'hako.local/busybox']);
    assert.equal(r.code, 0, r.stderr);
    r = other.hako(['load', '-i', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Loaded image: hako\.local\/busybox:latest$/m);
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/busybox', 'echo', 'loaded']).stdout, 'loaded\n');
    // import: a plain rootfs tarball, as `docker export` makes, from the loaded image's layer.
    const rootfsTar = path.join(env.root, 'rootfs.tar');
    writeRootfsTarball(rootfsTar);
    r = other.hako(['import', rootfsTar, 'hako.local/imported:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    // The image ID, as `images` shows it (docker's import prints the same), not the manifest's digest.
    assert.equal(other.ok(['images', '--no-trunc', '--format', '{{.ID}}', 'hako.local/imported:1']).split('\n').includes(r.stdout.trim()), true);
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/imported:1', '/bin/sh', '-c', 'echo imported']).stdout, 'imported\n');
    assert.match(other.hako(['load', '-i', '/nonexistent']).stderr, /nonexistent/);
  } finally {
    assert.deepEqual(other.cleanup(), []);
  }
});

test('unpacked layers are shared, kept while a container uses them, and pruned by rmi', { skip }, () => {
  const other = new EngineEnv();
  try {
    const layers = path.join(other.root, 'layers');
    const tarA = path.join(other.root, 'a.tar');
    const tarB = path.join(other.root, 'b.tar');
    writeRootfsTarball(tarA);
    writeRootfsTarball(tarB, 'etc/marker');
    for (const [tar, ref] of [
      [tarA, 'hako.local/a:1'],
      [tarA, 'hako.local/a2:1'],
      [tarB, 'hako.local/b:1'],
    ]) {
      assert.equal(other.hako(['import', tar, ref]).code, 0);
    }
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/a:1', '/bin/sh', '-c', 'true']).code, 0);
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/b:1', '/bin/sh', '-c', 'true']).code, 0);
    assert.equal(fs.readdirSync(layers).length, 2, 'one directory per distinct layer');
    const before = new Set(fs.readdirSync(layers));
    assert.equal(other.hako(['create', '--name', 'keeper', '--network', 'none', 'hako.local/a2:1', '/bin/sh']).code, 0);
    assert.equal(other.hako(['rmi', 'hako.local/a:1']).code, 0);
    assert.equal(other.hako(['rmi', '-f', 'hako.local/a2:1']).code, 0);
    assert.equal(other.hako(['rmi', 'hako.local/b:1']).code, 0);
    const after = fs.readdirSync(layers);
    assert.equal(after.length, 1, "b's layer is pruned, the one the container mounts stays");
    assert.ok(before.has(after[0]));
    assert.equal(other.hako(['rm', 'keeper']).code, 0);
  } finally {
    assert.deepEqual(other.cleanup(), []);
  }
});

test('save without -o writes a docker save archive to stdout; load without -i reads stdin', { skip }, () => {
  const archive = path.join(env.root, 'piped.tar');
  // hako save IMAGE > piped.tar
  const fd = fs.openSync(archive, 'w');
  const saved = spawnSync(HAKO, ['--root', env.root, 'save', IMAGE], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  fs.closeSync(fd);
  assert.equal(saved.status, 0, saved.stderr);
  const names = spawnSync('tar', ['tf', archive], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(names.includes('manifest.json') && names.includes('index.json'), 'a docker save archive that is an OCI layout too');
  const other = new EngineEnv();
  try {
    other.ok(['rmi', IMAGE]);
    // hako load < piped.tar
    const loaded = spawnSync(HAKO, ['--root', other.root, 'load'], { stdio: [fs.openSync(archive, 'r'), 'pipe', 'pipe'], encoding: 'utf8' });
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout, `Loaded image: ${IMAGE}\n`);
    assert.equal(other.ok(['run', '--rm', '--network', 'none', IMAGE, 'echo', 'from stdin']), 'from stdin\n');
    const empty = other.hako(['load'], { input: '' });
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr.split('\n').length, 2, `one line: ${empty.stderr}`);
  } finally {
    assert.deepEqual(other.cleanup(), []);
  }
  const missing = env.hako(['save', 'hako.local/nothing:1']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /No such image: hako\.local\/nothing:1/);
});

test("save -o FILE is docker's archive whatever its name; podman's --format oci-dir and oci-archive; load reads each", { skip }, () => {
  const tarNames = (f: string) => spawnSync('tar', ['tf', f], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const noSuffix = path.join(env.root, 'busybox-image'); // no .tar: still a file, as docker writes it
  env.ok(['save', '-o', noSuffix, IMAGE]);
  assert.ok(fs.statSync(noSuffix).isFile());
  assert.ok(tarNames(noSuffix).includes('manifest.json') && tarNames(noSuffix).includes('index.json'), "docker's archive, an OCI layout too");
  env.ok(['save', '-o', noSuffix, IMAGE]); // an existing file is replaced
  const dockerFormat = path.join(env.root, 'explicit.tar');
  env.ok(['save', '--format', 'docker-archive', '-o', dockerFormat, IMAGE]);
  assert.ok(tarNames(dockerFormat).includes('manifest.json'));
  const ociArchive = path.join(env.root, 'oci.tar');
  env.ok(['save', '--format', 'oci-archive', '-o', ociArchive, IMAGE]);
  assert.ok(tarNames(ociArchive).includes('index.json') && !tarNames(ociArchive).includes('manifest.json'), "podman's oci-archive: the bare layout");
  const layout = path.join(env.root, 'layout');
  env.ok(['save', '--format', 'oci-dir', '-o', layout, IMAGE]);
  assert.ok(fs.existsSync(path.join(layout, 'index.json')) && fs.existsSync(path.join(layout, 'oci-layout')));
  for (const input of [noSuffix, dockerFormat, ociArchive, layout]) {
    const other = new EngineEnv();
    try {
      other.ok(['rmi', IMAGE]);
      assert.equal(other.ok(['load', '-i', input]), `Loaded image: ${IMAGE}\n`, input);
      assert.equal(other.ok(['run', '--rm', '--network', 'none', IMAGE, 'echo', 'ok']), 'ok\n');
    } finally {
      assert.deepEqual(other.cleanup(), []);
    }
  }
  // Refusals: one line, nothing written or left behind.
  const before = fs.readdirSync(env.root).sort();
  for (const [args, re] of [
    [['-o', layout], /^hako: failed to save image: "[^"]+\/layout" is a directory \(an OCI layout directory is --format oci-dir\)\n$/],
    [['-o', path.join(env.root, 'nowhere', 'x.tar')], /^hako: failed to save image: invalid output path: directory "[^"]+\/nowhere" does not exist\n$/],
    [['--format', 'docker-dir', '-o', 'x'], /^hako: unknown format "docker-dir" for "--format" flag: one of docker-archive, oci-archive, oci-dir\n$/],
    [['--format', 'oci-dir'], /^hako: --format oci-dir writes a directory: name it with -o DIR\n$/],
  ] as [string[], RegExp][]) {
    const r = env.hako(['save', ...args, IMAGE]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re);
  }
  assert.deepEqual(fs.readdirSync(env.root).sort(), before, 'no temp file beside the output');
  for (const f of [noSuffix, dockerFormat, ociArchive]) fs.rmSync(f);
  fs.rmSync(layout, { recursive: true });
});

test('save refuses to write to a terminal; load refuses to read one', { skip: skip || ptyUnavailable() }, () => {
  const save = runOnPty([HAKO, '--root', env.root, 'save', IMAGE]);
  assert.equal(save.status, 1);
  assert.match(save.output, /cowardly refusing to save to a terminal\. Use the -o flag or redirect/);
  const load = runOnPty([HAKO, '--root', env.root, 'load']);
  assert.equal(load.status, 1);
  assert.match(load.output, /requested load from stdin, but stdin is empty/);
});

test('images takes a REPOSITORY[:TAG] and --filter reference, label, dangling, before, since', { skip }, () => {
  env.ok(['tag', IMAGE, 'hako.local/other:2']);
  env.ok(['commit', '-c', 'LABEL tier=web', env.ok(['create', '--name', 'labelled', IMAGE, 'true']).trim(), 'hako.local/labelled:1']);
  const names = (args: string[]) =>
    env
      .ok(['images', '--format', '{{.Repository}}:{{.Tag}}', ...args])
      .split('\n')
      .filter(Boolean)
      .sort();
  try {
    assert.deepEqual(names(['hako.local/busybox']), ['hako.local/busybox:latest']);
    assert.deepEqual(names(['hako.local/other:2']), ['hako.local/other:2']);
    assert.deepEqual(names(['hako.local/other:9']), []);
    assert.deepEqual(names(['--filter', 'reference=hako.local/*']).length, 3);
    assert.deepEqual(names(['--filter', 'reference=*/other']), ['hako.local/other:2']);
    assert.deepEqual(names(['--filter', 'label=tier=web']), ['hako.local/labelled:1']);
    assert.deepEqual(names(['--filter', 'label=tier']), ['hako.local/labelled:1']);
    assert.deepEqual(names(['--filter', 'dangling=true']), []);
    assert.deepEqual(names(['--filter', 'since=hako.local/busybox']), ['hako.local/labelled:1']);
    assert.deepEqual(names(['--filter', 'before=hako.local/labelled:1']), ['hako.local/busybox:latest', 'hako.local/other:2']);
    for (const bad of [
      ['--filter', 'colour=red'],
      ['--filter', 'dangling=maybe'],
      ['--filter', 'since=hako.local/nothing'],
      ['a', 'b'],
    ])
      assert.equal(env.hako(['images', ...bad]).code, 1, bad.join(' '));
  } finally {
    env.ok(['rm', 'labelled']);
    assert.equal(
      env.ok(['rmi', '--no-prune', 'hako.local/other:2', 'hako.local/labelled:1']),
      'Untagged: hako.local/other:2\nUntagged: hako.local/labelled:1\n',
    );
  }
});
