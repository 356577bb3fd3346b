// A moved or copied dist/hako uses the hako-init of its own installation. (Bun writes each module's
// build-time path into import.meta.url; src/util/install-dir.ts goes by the executable's path.)
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Harness, REPO } from './harness.js';

const h = new Harness();
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-copy-'));
after(() => {
  h.cleanup();
  fs.rmSync(copy, { recursive: true, force: true });
});

it("a copy of the executable runs containers with the helper next to it, not the build tree's", () => {
  fs.mkdirSync(path.join(copy, 'dist'));
  fs.mkdirSync(path.join(copy, 'native'));
  fs.copyFileSync(path.join(REPO, 'dist/hako'), path.join(copy, 'dist/hako'));
  fs.chmodSync(path.join(copy, 'dist/hako'), 0o755);
  // This installation's "helper" leaves a mark, then is the real one.
  const marker = path.join(copy, 'used');
  fs.writeFileSync(path.join(copy, 'native/hako-init'), `#!/bin/sh\necho "$@" >> ${marker}\nexec ${path.join(REPO, 'native/hako-init')} "$@"\n`, {
    mode: 0o755,
  });
  const env = { ...process.env };
  delete env.HAKO_INIT;
  const r = spawnSync(path.join(copy, 'dist/hako'), ['runtime', '--root', h.root, 'run', '--bundle', h.bundle(['echo', 'hi']), h.id()], {
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  assert.ok(fs.existsSync(marker), "the copy started the build tree's native/hako-init");
});
