// The engine end to end, as root: `ps --filter`, `-n`/`--last`, `-l`, `-s` and docker's --format
// templates on ps, images, volume ls, network ls and inspect, with real containers. (The template
// language and table alignment are compared with Go and the docker CLI in test/unit/engine/template.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const names = (args: string[]) =>
  env
    .ok(['ps', ...args, '--format', '{{.Names}}'])
    .trim()
    .split('\n')
    .filter(Boolean);

test('ps --filter: status, name, id, label, ancestor, exited, before, since, volume', { skip }, async () => {
  env.ok(['run', '--name', 'pf-ok', '--network', 'none', '--label', 'tier=db', IMAGE, 'true']);
  assert.equal(env.hako(['run', '--name', 'pf-bad', '--network', 'none', '--label', 'tier=web', IMAGE, 'sh', '-c', 'exit 3']).code, 3);
  env.ok(['create', '--name', 'pf-new', '--network', 'none', '-v', 'pfvol:/data', IMAGE, 'true']);
  const runId = env.ok(['run', '-d', '--name', 'pf-run', '--network', 'none', '--label', 'tier', IMAGE, 'sleep', '100']).trim();
  try {
    assert.deepEqual(names([]), ['pf-run'], 'running ones only without -a');
    assert.deepEqual(names(['-f', 'status=exited']), ['pf-bad', 'pf-ok'], 'status shows stopped ones without -a');
    assert.deepEqual(names(['-f', 'status=created']), ['pf-new']);
    assert.deepEqual(names(['-f', 'status=created', '-f', 'status=running']), ['pf-run', 'pf-new'], 'values of one key are alternatives');
    assert.deepEqual(names(['-a', '-f', 'name=pf-(ok|bad)']), ['pf-bad', 'pf-ok'], 'name is a regular expression');
    assert.deepEqual(names(['-a', '-f', `id=${runId.slice(0, 8)}`]), ['pf-run']);
    assert.deepEqual(names(['-a', '-f', 'label=tier']), ['pf-run', 'pf-bad', 'pf-ok']);
    assert.deepEqual(names(['-a', '-f', 'label=tier=web']), ['pf-bad']);
    assert.deepEqual(names(['-a', '-f', 'label=tier=web', '-f', 'status=running']), [], 'different keys must all match');
    assert.deepEqual(names(['-a', '-f', `ancestor=${IMAGE}`]).length, 4);
    assert.deepEqual(names(['-a', '-f', 'ancestor=hako.local/none:1']), []);
    assert.deepEqual(names(['-a', '-f', 'exited=3']), ['pf-bad']);
    assert.deepEqual(names(['-a', '-f', 'exited=0']), ['pf-ok'], 'a created container has no exit code');
    assert.deepEqual(names(['-a', '-f', 'before=pf-new']), ['pf-bad', 'pf-ok']);
    assert.deepEqual(names(['-a', '-f', 'since=pf-bad']), ['pf-run', 'pf-new']);
    assert.deepEqual(names(['-a', '-f', 'volume=pfvol']), ['pf-new']);
    assert.deepEqual(names(['-n', '2']), ['pf-run', 'pf-new'], '-n counts every state');
    assert.deepEqual(names(['-l']), ['pf-run']);
    assert.deepEqual(names(['--last', '-1']), ['pf-run'], 'docker: a negative -n is no limit (running only)');
    for (const [flag, why] of [
      ['bogus=1', "invalid filter 'bogus'"],
      ['status=sleepy', "invalid filter 'status=sleepy'"],
      ['exited=x', "invalid filter 'exited=x'"],
      ['name=(', "invalid filter 'name=('"],
      ['novalue', 'bad format of filter'],
    ]) {
      const r = env.hako(['ps', '-f', flag]);
      assert.equal(r.code, 1, flag);
      assert.ok(r.stderr.startsWith(`hako: ${why}`) && r.stderr.split('\n').length === 2, r.stderr);
    }
    assert.equal(env.hako(['ps', '-n', 'many']).code, 125, 'a bad flag value is a usage error');
  } finally {
    env.ok(['rm', '-f', 'pf-ok', 'pf-bad', 'pf-new', 'pf-run']);
    env.ok(['volume', 'rm', 'pfvol']);
  }
});

test('ps -s and docker fields in templates: Size, State, CreatedAt, .Label, Mounts, LocalVolumes', { skip }, () => {
  env.ok(['run', '--name', 'pf-size', '--network', 'none', '--label', 'a.b=c', '-v', 'pfv2:/v', IMAGE, 'sh', '-c', 'head -c 5000 /dev/zero > /big']);
  try {
    const t = env.ok(['ps', '-a', '-s']).split('\n');
    assert.match(t[0], /^CONTAINER ID {3}IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE$/);
    assert.match(t[1], /pf-size +5(\.\d+)?kB \(virtual \d+(\.\d+)?MB\)$/, t[1]);
    const row = env.ok(['ps', '-a', '--format', '{{.State}}|{{.Label "a.b"}}|{{.Mounts}}|{{.LocalVolumes}}|{{.CreatedAt}}']).trim();
    assert.match(row, /^exited\|c\|pfv2\|1\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    const table = env.ok(['ps', '-a', '--format', 'table {{.Names}}\t{{.Label "a.b"}}']);
    assert.equal(table, 'NAMES     LABEL\npf-size   c\n', 'a header from the same template, docker-aligned');
    const json = JSON.parse(env.ok(['ps', '-a', '--format', '{{json .}}']));
    assert.equal(json.Names, 'pf-size');
    assert.equal(json.Label, undefined, 'a method is not data');
  } finally {
    env.ok(['rm', '-f', 'pf-size']);
    env.ok(['volume', 'rm', 'pfv2']);
  }
});

test('--format on images, volume ls, network ls and inspect: tables, range, index, join', { skip }, () => {
  assert.equal(env.ok(['images', '--format', 'table {{.Repository}}\t{{.Tag}}']), `REPOSITORY           TAG\n${IMAGE.replace(':latest', '')}   latest\n`);
  assert.equal(env.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{len .ID}}']), `${IMAGE} 12\n`);
  env.ok(['volume', 'create', '--label', 'k=v', 'fmtvol']);
  try {
    assert.equal(env.ok(['volume', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}']), 'VOLUME NAME   DRIVER\nfmtvol        local\n');
    assert.equal(env.ok(['network', 'ls', '--format', 'table {{.Name}}\t{{.Scope}}']), 'NAME      SCOPE\nhako      local\n');
    env.ok(['create', '--name', 'fmt-c', '--network', 'none', '-e', 'A=1', '--label', 'x=1', '--label', 'y=2', IMAGE, 'sh', '-c', 'true']);
    const out = env.ok([
      'inspect',
      '--format',
      '{{.Name}} {{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}} {{join .Config.Cmd " "}} {{index .Config.Cmd 0}} {{if eq .State.Status "created"}}new{{end}} {{len .Config.Env}}',
      'fmt-c',
    ]);
    assert.match(out, /^\/fmt-c x=1,y=2, sh -c true sh new \d+\n$/);
    const bad = env.hako(['inspect', '--format', '{{.Name', 'fmt-c']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'hako: template parsing error: template: :1: unclosed action\n');
  } finally {
    env.hako(['rm', '-f', 'fmt-c']);
    env.ok(['volume', 'rm', 'fmtvol']);
  }
});
