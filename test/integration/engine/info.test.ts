// `version`, `info`, `port`, `history`, `export`: what they say, checked against what is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test('version and info describe this host and root', { skip }, () => {
  assert.match(env.ok(['version']), /^Client: hako\n Version:\s+0\.1\.0\n/);
  assert.equal(env.ok(['version', '--format', '{{.Server.KernelVersion}}']), `${os.release()}\n`);
  env.ok(['run', '-d', '--name', 'up', '--network', 'none', IMAGE, 'sleep', '1000']);
  env.ok(['create', IMAGE, 'true']);
  const info = env.ok(['info']);
  assert.match(info, /^Server:\n Containers: 2\n {2}Running: 1\n {2}Paused: 0\n {2}Stopped: 1\n Images: 1\n/);
  assert.ok(info.includes(` Hako Root Dir: ${env.root}\n`));
  assert.ok(info.includes(` CPUs: ${os.cpus().length}\n`));
  const json = JSON.parse(env.ok(['info', '--format', '{{json .}}']));
  assert.equal(json.DockerRootDir, env.root);
  assert.equal(json.CgroupVersion, fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1');
  env.ok(['rm', '-f', 'up']);
});

test('port lists the published ports as docker prints them', { skip }, () => {
  env.ok(['run', '-d', '--name', 'web', '-p', '127.0.0.1::80', '-p', '8080/udp', IMAGE, 'sleep', '1000']);
  const all = env.ok(['port', 'web']);
  const tcp = /^80\/tcp -> 127\.0\.0\.1:(\d+)$/m.exec(all);
  assert.ok(tcp, all);
  assert.match(all, /^8080\/udp -> 0\.0\.0\.0:\d+$/m);
  assert.equal(env.ok(['port', 'web', '80']), `127.0.0.1:${tcp[1]}\n`);
  const r = env.hako(['port', 'web', '81']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "hako: no public port '81/tcp' published for web\n");
  env.ok(['rm', '-f', 'web']);
});

test("history shows the image's steps with their layer sizes", { skip }, () => {
  const out = env.ok(['history', IMAGE]).split('\n');
  assert.match(out[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  const id = JSON.parse(env.ok(['inspect', '--type', 'image', IMAGE]))[0].Id as string;
  assert.ok(out[1].startsWith(id.slice(7, 19)), out[1]);
  assert.equal(env.ok(['history', '-q', '--no-trunc', IMAGE]).split('\n')[0], id);
  assert.match(env.hako(['history', 'nosuch:image']).stderr, /no such image: nosuch:image/);
});

test("export writes the container's files as a tar that import takes back", { skip }, () => {
  env.ok(['run', '--name', 'exp', '--network', 'none', IMAGE, 'sh', '-c', 'mkdir -p /made && echo exported > /made/file']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-export-'));
  try {
    const file = path.join(dir, 'c.tar');
    env.ok(['export', '-o', file, 'exp']);
    const list = spawnSync('tar', ['tf', file], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(
      list.includes('made/file') && list.includes('bin/busybox'),
      `the image's and the container's files: ${list.length} ${list.slice(0, 20).join(' ')}`,
    );
    const piped = spawnSync(HAKO, ['--root', env.root, 'export', 'exp'], { maxBuffer: 1 << 26 });
    assert.equal(piped.status, 0);
    assert.equal(piped.stdout.length, fs.statSync(file).size);
    env.ok(['import', file, 'hako.test/exported:1']);
    assert.equal(env.ok(['run', '--rm', '--network', 'none', 'hako.test/exported:1', 'cat', '/made/file']), 'exported\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  env.ok(['rm', 'exp']);
});
