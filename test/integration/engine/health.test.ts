// The engine end to end, as root: health checks from --health-* and from an image's HEALTHCHECK,
// run by the per-container scheduler (src/engine/health-check.ts) without anyone asking: ps's
// `(health: starting)`, `(unhealthy)`, `(healthy)`, inspect's State.Health with its Log, ps
// --filter health=, `hako healthcheck run`, a check's timeout, --no-healthcheck.
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

const status = (name: string) => env.ok(['ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Status}}']).trim();
type Health = { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] };
const health = (name: string): Health | null => JSON.parse(env.ok(['inspect', '-f', '{{json .State.Health}}', name]));
const schedulers = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readCmdline(p).includes(env.root) && readCmdline(p).startsWith('/bin/sh'));
function readCmdline(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

test('--health-cmd: starting, unhealthy after the retries, healthy once the check passes', { skip }, async () => {
  env.ok([
    'run',
    '-d',
    '--name',
    'hc',
    '--network',
    'none',
    '--health-cmd',
    'echo checking; test -e /tmp/ok',
    '--health-interval',
    '500ms',
    '--health-retries',
    '2',
    IMAGE,
    'sleep',
    '300',
  ]);
  try {
    assert.match(status('hc'), /^Up .* \(health: starting\)$/);
    await env.until('unhealthy', () => status('hc').endsWith('(unhealthy)'), 20_000);
    const bad = health('hc')!;
    assert.equal(bad.Status, 'unhealthy');
    assert.ok(bad.FailingStreak >= 2);
    assert.deepEqual(bad.Log.at(-1), { ...bad.Log.at(-1), ExitCode: 1, Output: 'checking\n' });
    assert.deepEqual(env.ok(['ps', '-q', '--filter', 'health=unhealthy']).trim().length, 12);
    assert.equal(env.hako(['healthcheck', 'run', 'hc']).stdout, 'unhealthy\n');
    env.ok(['exec', 'hc', 'touch', '/tmp/ok']);
    await env.until('healthy', () => status('hc').endsWith('(healthy)'), 20_000);
    assert.equal(health('hc')!.FailingStreak, 0);
    assert.ok(health('hc')!.Log.length <= 5, 'the last five results, as docker');
    const once = env.hako(['healthcheck', 'run', 'hc']);
    assert.deepEqual([once.code, once.stdout], [0, '']);
    assert.ok(schedulers().length >= 1, 'a scheduler runs the checks');
  } finally {
    env.ok(['rm', '-f', 'hc']);
  }
  await env.until('the scheduler gone with its container', () => schedulers().length === 0, 10_000);
});

test("the image's HEALTHCHECK applies; --no-healthcheck turns it off; a timeout is a failure", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-health-'));
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM ${IMAGE}\nHEALTHCHECK --interval=1s --retries=1 CMD test -e /etc/passwd || exit 1\nCMD ["sleep", "300"]\n`,
  );
  try {
    env.ok(['build', '-q', '-t', 'hako.local/healthy:1', dir]);
    env.ok(['run', '-d', '--name', 'img', '--network', 'none', 'hako.local/healthy:1']);
    env.ok(['run', '-d', '--name', 'off', '--network', 'none', '--no-healthcheck', 'hako.local/healthy:1']);
    env.ok([
      'run',
      '-d',
      '--name',
      'slow',
      '--network',
      'none',
      '--health-cmd',
      'sleep 5',
      '--health-timeout',
      '300ms',
      '--health-interval',
      '1s',
      '--health-retries',
      '1',
      IMAGE,
      'sleep',
      '300',
    ]);
    await env.until('healthy from the image', () => status('img').endsWith('(healthy)'), 20_000);
    await env.until('the timeout recorded', () => status('slow').endsWith('(unhealthy)'), 20_000);
    assert.deepEqual(health('slow')!.Log[0], { ...health('slow')!.Log[0], ExitCode: -1, Output: 'Health check exceeded timeout (300ms)' });
    assert.equal(health('off'), null, 'no State.Health without a check');
    assert.match(status('off'), /^Up [^()]*$/);
    const none = env.hako(['healthcheck', 'run', 'off']);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'hako: container off has no defined healthcheck\n');
    assert.equal(env.hako(['run', '--health-interval', 'soon', IMAGE]).code, 125);
    assert.equal(env.hako(['run', '--no-healthcheck', '--health-cmd', 'true', IMAGE]).code, 125);
  } finally {
    env.ok(['rm', '-f', 'img', 'off', 'slow']);
    env.hako(['rmi', 'hako.local/healthy:1']);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await env.until('the schedulers gone', () => schedulers().length === 0, 10_000);
});

test('a foreground run -i and a foreground run are checked too, and their schedulers end with them', { skip }, async () => {
  const { spawn } = await import('node:child_process');
  const { HAKO } = await import('./harness.js');
  for (const mode of [['-i'], []]) {
    const name = `fg${mode.join('')}`;
    const child = spawn(
      HAKO,
      [
        '--root',
        env.root,
        'run',
        ...mode,
        '--rm',
        '--name',
        name,
        '--network',
        'none',
        '--health-cmd',
        'test -e /tmp/ok',
        '--health-interval',
        '200ms',
        '--health-retries',
        '1',
        IMAGE,
        'sh',
        '-c',
        'touch /tmp/ok; sleep 2.5; echo done',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 128)));
    try {
      await env.until(`${name} healthy`, () => status(name).endsWith('(healthy)'), 10_000);
      assert.equal(health(name)!.Log.at(-1)!.ExitCode, 0);
    } finally {
      child.stdin.end();
      assert.equal(await exited, 0);
    }
    assert.equal(out, 'done\n');
  }
  await env.until('the schedulers gone', () => schedulers().length === 0, 10_000);
});
