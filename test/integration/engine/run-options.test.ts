// The engine end to end, as root: run/create's --shm-size, --label-file, --cidfile, --pull,
// --platform, --log-driver and --log-opt, and logs --since/--until, with docker's messages and
// exit statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hako-run-options-'));

test('--shm-size sizes /dev/shm; --label-file labels, --label wins', { skip }, () => {
  assert.match(env.ok(['run', '--rm', '--network', 'none', '--shm-size', '2m', IMAGE, 'df', '-k', '/dev/shm']), /\n\S+\s+2048\s/);
  assert.match(env.ok(['run', '--rm', '--network', 'none', IMAGE, 'df', '-k', '/dev/shm']), /\n\S+\s+65536\s/, 'docker: 64m by default');
  const dir = tmp();
  try {
    fs.writeFileSync(path.join(dir, 'labels'), 'a=1\n# comment\n\nb\nc=x=y\n');
    env.ok(['create', '--name', 'lf', '--network', 'none', '--label-file', path.join(dir, 'labels'), '--label', 'a=2', IMAGE, 'true']);
    assert.equal(env.ok(['inspect', '-f', '{{json .Config.Labels}}', 'lf']), '{"a":"2","b":"","c":"x=y"}\n');
    const missing = env.hako(['create', '--label-file', path.join(dir, 'nope'), IMAGE, 'true']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr, `hako: --label-file ${path.join(dir, 'nope')}: no such file\n`);
    assert.equal(env.hako(['create', '--shm-size', 'lots', IMAGE]).code, 125);
  } finally {
    env.hako(['rm', '-f', 'lf']);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--cidfile: the ID written; an existing file refused before anything is created', { skip }, () => {
  const dir = tmp();
  const file = path.join(dir, 'cid');
  try {
    const id = env.ok(['create', '--cidfile', file, '--network', 'none', IMAGE, 'true']).trim();
    assert.equal(fs.readFileSync(file, 'utf8'), id);
    const before = env.ok(['ps', '-aq']);
    const again = env.hako(['run', '--cidfile', file, '--network', 'none', IMAGE, 'true']);
    assert.equal(again.code, 125);
    assert.equal(again.stderr, `hako: container ID file found, make sure the other container isn't running or delete ${file}\n`);
    assert.equal(env.ok(['ps', '-aq']), before, 'nothing created');
    env.ok(['rm', id]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--pull never and missing, --platform, in one line each', { skip }, () => {
  const never = env.hako(['run', '--rm', '--pull', 'never', 'hako.local/absent:1', 'true']);
  assert.equal(never.code, 125);
  assert.equal(never.stderr, 'hako: No such image: hako.local/absent:1 (--pull never)\n');
  assert.equal(env.hako(['run', '--rm', '--pull', 'never', '--network', 'none', IMAGE, 'true']).code, 0, 'present: never is fine');
  const other = os.arch() === 'arm64' ? 'linux/amd64' : 'linux/arm64';
  const wrong = env.hako(['run', '--rm', '--platform', other, '--network', 'none', IMAGE, 'true']);
  assert.equal(wrong.code, 125);
  assert.match(
    wrong.stderr,
    new RegExp(`^hako: image with reference ${IMAGE} was found but does not match the specified platform: wanted ${other}, actual: linux/\\w+\\n$`),
  );
  assert.equal(env.hako(['run', '--rm', '--platform', 'linux/x/y/z', IMAGE, 'true']).code, 125);
  assert.equal(
    env.hako(['run', '--rm', '--pull', 'sometimes', IMAGE, 'true']).stderr,
    'hako: invalid argument "sometimes" for "--pull" flag: expected always, missing or never\n',
  );
});

test('--log-driver none keeps no log (logs refuses); --log-opt max-size bounds it', { skip }, async () => {
  env.ok(['run', '-d', '--name', 'quiet', '--log-driver', 'none', '--network', 'none', IMAGE, 'echo', 'hi']);
  env.ok([
    'run',
    '-d',
    '--name',
    'capped',
    '--log-opt',
    'max-size=300',
    '--network',
    'none',
    IMAGE,
    'sh',
    '-c',
    'for i in $(seq 1 100); do echo line-$i; done',
  ]);
  try {
    assert.equal(env.ok(['wait', 'quiet']), '0\n');
    const r = env.hako(['logs', 'quiet']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'hako: configured logging driver does not support reading\n');
    assert.equal(env.ok(['run', '--rm', '--log-driver', 'none', '--network', 'none', IMAGE, 'echo', 'fg']), 'fg\n', 'a foreground run still prints');
    env.ok(['wait', 'capped']);
    const logs = env.ok(['logs', 'capped']);
    assert.match(logs, /line-100\n$/);
    assert.ok(!logs.includes('line-1\n'), 'older output was dropped at max-size');
    assert.equal(env.hako(['run', '--log-driver', 'syslog', IMAGE]).code, 125);
    assert.equal(env.hako(['run', '--log-opt', 'max-size=big', IMAGE]).code, 125);
  } finally {
    env.ok(['rm', '-f', 'quiet', 'capped']);
  }
});

test('logs --since and --until: RFC 3339, unix time and durations', { skip }, async () => {
  env.ok(['run', '-d', '--name', 'timed', '--network', 'none', IMAGE, 'sh', '-c', 'echo early; sleep 1.5; echo late']);
  try {
    assert.equal(env.ok(['wait', 'timed']), '0\n');
    const lines = env
      .ok(['logs', '-t', 'timed'])
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    assert.deepEqual(
      lines.map((l) => l[1]),
      ['early', 'late'],
    );
    const lateAt = lines[1][0];
    assert.equal(env.ok(['logs', '--since', lateAt, 'timed']), 'late\n');
    assert.equal(env.ok(['logs', '--until', lateAt, 'timed']), 'early\n');
    const unix = (Date.parse(lateAt) / 1000 - 0.5).toFixed(3);
    assert.equal(env.ok(['logs', '--since', unix, 'timed']), 'late\n');
    assert.equal(env.ok(['logs', '--since', '10m', 'timed']), 'early\nlate\n');
    assert.equal(env.ok(['logs', '--until', '10m', 'timed']), '');
    assert.equal(env.ok(['logs', '--details', 'timed']), 'early\nlate\n', '--details: nothing to add without log labels');
    const bad = env.hako(['logs', '--since', 'yesterday', 'timed']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'hako: invalid value for "since": failed to parse value as time or duration: "yesterday"\n');
  } finally {
    env.ok(['rm', '-f', 'timed']);
  }
});
