// `hako pull -a/--all-tags` against Debian's docker-registry on 127.0.0.1: every tag of the
// repository pulled into a fresh store, with docker's output (a Digest line per tag, one Status line
// for the repository, its name on stdout).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';
import { startRegistry, REGISTRY_BIN, type TestRegistry } from '../../fixtures/registry.js';

const skip = engineSkip || (!fs.existsSync(REGISTRY_BIN) ? `${REGISTRY_BIN} missing (Debian docker-registry)` : false);
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

let registry: TestRegistry;
before(async () => {
  if (!skip) registry = await startRegistry();
});
after(async () => {
  await registry?.stop();
});

function hakoIn(root: string, args: string[]) {
  const r = spawnSync(HAKO, ['--root', root, ...args], { encoding: 'utf8', env: { ...process.env, HAKO_ROOT: undefined } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pull -a: every tag of the repository, one Status line, the name on stdout', { skip }, () => {
  const repo = `${registry.host}/all/busybox`;
  for (const tag of ['1', '2', 'edge']) {
    env.ok(['tag', IMAGE, `${repo}:${tag}`]);
    env.ok(['push', `${repo}:${tag}`]);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-pull-all-'));
  try {
    const r = hakoIn(root, ['pull', '--all-tags', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${repo}\n`);
    assert.equal(r.stderr.match(/^Digest: sha256:[0-9a-f]{64}$/gm)?.length, 3, 'a Digest line per tag');
    assert.deepEqual(r.stderr.match(/^Status: .*$/gm), [`Status: Downloaded newer image for ${repo}`]);
    const tags = hakoIn(root, ['images', '--format', '{{.Repository}}:{{.Tag}}', repo]).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(tags, [`${repo}:1`, `${repo}:2`, `${repo}:edge`]);
    assert.equal(hakoIn(root, ['run', '--rm', '--network', 'none', `${repo}:edge`, 'echo', 'all there']).stdout, 'all there\n');

    const tagged = hakoIn(root, ['pull', '-a', `${repo}:1`]);
    assert.equal(tagged.code, 1);
    assert.equal(tagged.stderr, "hako: tag can't be used with --all-tags/-a\n");
    const missing = hakoIn(root, ['pull', '-a', `${registry.host}/all/nothing`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^hako: [^\n]*all\/nothing[^\n]*\n$/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    env.hako(['rmi', `${repo}:1`, `${repo}:2`, `${repo}:edge`]);
  }
});
