// `hako search` against Debian's docker-registry on 127.0.0.1: its /v2/_catalog filtered by the term
// (as podman does; docker-registry has no /v1/search), with docker's table, --limit, --format,
// --no-trunc and --filter, and one clear line for a registry that cannot be searched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';
import { startRegistry, REGISTRY_BIN, type TestRegistry } from '../../fixtures/registry.js';

const skip = engineSkip || (!fs.existsSync(REGISTRY_BIN) ? `${REGISTRY_BIN} missing (Debian docker-registry)` : false);
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

let reg: TestRegistry;
before(async () => {
  if (skip) return;
  reg = await startRegistry();
  for (const repo of ['library/busybox', 'tools/box', 'other']) {
    env.ok(['tag', IMAGE, `${reg.host}/${repo}:1`]);
    env.ok(['push', '-q', `${reg.host}/${repo}:1`]);
  }
});
after(async () => {
  await reg?.stop();
});

test("search lists the registry's repositories that contain the term, as docker's table", { skip }, () => {
  const out = env.ok(['search', `${reg.host}/box`]).split('\n');
  assert.match(out[0]!, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\s+AUTOMATED$/);
  assert.deepEqual(
    out
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[0]),
    [`${reg.host}/library/busybox`, `${reg.host}/tools/box`],
  );
  // An empty term lists every repository.
  assert.equal(
    env
      .ok(['search', '--format', '{{.Name}}', `${reg.host}/`])
      .split('\n')
      .filter(Boolean).length,
    3,
  );
});

test('search --limit, --format, --no-trunc and --filter', { skip }, () => {
  assert.equal(env.ok(['search', '--limit', '1', '--format', '{{.Name}}', `${reg.host}/box`]), `${reg.host}/library/busybox\n`);
  assert.equal(env.ok(['search', '--no-trunc', '--format', '{{.Name}}|{{.StarCount}}|{{.IsOfficial}}', `${reg.host}/other`]), `${reg.host}/other|0|\n`);
  const json = JSON.parse(env.ok(['search', '--format', '{{json .}}', `${reg.host}/other`]));
  assert.equal(json.Name, `${reg.host}/other`);
  // The catalog has no stars and nothing official.
  assert.equal(env.ok(['search', '--filter', 'stars=1', '--format', '{{.Name}}', `${reg.host}/box`]), '');
  assert.equal(env.ok(['search', '--filter', 'is-official=false', '--format', '{{.Name}}', `${reg.host}/other`]), `${reg.host}/other\n`);
  assert.equal(
    env
      .ok(['search', `${reg.host}/nothing-like-it`])
      .split('\n')
      .filter(Boolean).length,
    1,
    'the header only',
  );
});

test('search refuses bad flags and says why a registry cannot be searched, in one line', { skip }, () => {
  // A flag that does not parse is docker's 125; a value the search refuses, 1 (docker's daemon error).
  const notNumber = env.hako(['search', '--limit', 'ten', 'x']);
  assert.equal(notNumber.code, 125);
  assert.match(notNumber.stderr, /--limit/);
  for (const args of [['--limit', '0', 'x'], ['--limit', '101', 'x'], ['--filter', 'stars=many', 'x'], ['--filter', 'colour=red', 'x'], []]) {
    const r = env.hako(['search', ...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // Nothing listens there: a registry that cannot be reached.
  const r = env.hako(['search', '127.0.0.1:1/box']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hako: .*127\.0\.0\.1:1.*\n$/);
});
