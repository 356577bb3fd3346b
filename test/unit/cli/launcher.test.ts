// bin/hako: the snapshot start, the plain-bundle fallback, the hako-runtime name, and keeping
// NODE_EXTRA_CA_CERTS out of Node's start-up. Needs `npm run build` (dist/), not root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(file, args, { env: { ...process.env, ...env }, encoding: 'utf8' });

test('bin/hako starts from the snapshot npm run build made; arguments that look like node options reach hako', () => {
  for (const blob of ['hako.blob', 'runtime.blob']) assert.ok(fs.existsSync(path.join(REPO, 'dist', blob)), `npm run build makes dist/${blob}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-launcher-'));
  try {
    // --root comes first: node must not take it for one of its own options.
    const r = run(path.join(REPO, 'bin/hako'), ['runtime', '--root', root, 'list', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[]');
    const viaName = run(path.join(REPO, 'bin/hako-runtime'), ['--root', root, 'list', '--format', 'json']);
    assert.equal(viaName.status, 0, viaName.stderr);
    assert.equal(viaName.stdout.trim(), '[]');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the plain bundles work without the snapshots; the runtime-only one refuses engine commands', () => {
  for (const bundle of ['hako.cjs', 'runtime.cjs']) {
    const r = run(process.execPath, [path.join(REPO, 'dist', bundle), 'runtime', '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: hako runtime/);
  }
  const engine = run(process.execPath, [path.join(REPO, 'dist/runtime.cjs'), 'images']);
  assert.equal(engine.status, 1);
  assert.match(engine.stderr, /"images" is an engine command/);
});

test('NODE_EXTRA_CA_CERTS is kept from Node\'s start-up', () => {
  // Node warns at start-up about an unreadable NODE_EXTRA_CA_CERTS: no warning means it never read it.
  const r = run(path.join(REPO, 'bin/hako'), ['--help'], { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /extra certs/i);
});

test('Node starts with malloc on huge pages; the user\'s GLIBC_TUNABLES is kept for later', (t) => {
  // A stand-in `node` first on PATH shows what the launcher hands to Node.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-launcher-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'node'), '#!/bin/sh\necho "T=${GLIBC_TUNABLES-unset} H=${HAKO_GLIBC_TUNABLES-unset}"\n', { mode: 0o755 });
  const envOf = (tunables?: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    if (tunables === undefined) delete env.GLIBC_TUNABLES;
    else env.GLIBC_TUNABLES = tunables;
    const r = spawnSync(path.join(REPO, 'bin/hako'), ['--help'], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(envOf(), 'T=glibc.malloc.hugetlb=1 H=');
  assert.equal(envOf('glibc.pthread.rseq=0'), 'T=glibc.pthread.rseq=0:glibc.malloc.hugetlb=1 H==glibc.pthread.rseq=0');
  assert.equal(envOf('glibc.malloc.hugetlb=0'), 'T=glibc.malloc.hugetlb=0 H==glibc.malloc.hugetlb=0');
});
