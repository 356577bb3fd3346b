// The engine end to end, as root: logs across --log-opt max-file rotation (docker's json-file keeps
// log, log.1 … log.(N-1)), a follower across a rotation, and `logs -f --until` ending at that time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

/** The numbers of `line-N` lines, in order. */
const numbers = (text: string) => [...text.matchAll(/^line-(\d+)$/gm)].map((m) => Number(m[1]));
const consecutive = (ns: number[]) => ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);

/** `hako logs ARGS` in the background; resolves with its stdout and exit code. */
function logsInBackground(args: string[]): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(HAKO, ['--root', env.root, 'logs', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 128, stdout, ms: Date.now() - t0 })));
}

// Output starts once the test has seen the rotator running (it touches /go), and each file of
// max-size=300 takes ~0.6 s to fill: a rotator that conmon replaces the log twice under, before it
// reacts, loses a file (src/engine/log-rotate.ts), and a loaded CI host once took that long.
const SLOW_LINES = 'until [ -e /go ]; do sleep 0.05; done; for i in $(seq 1 40); do echo line-$i; sleep 0.1; done';

test('--log-opt max-file=3 keeps log.1 and log.2, and logs reads them in order', { skip }, async () => {
  const id = env
    .ok(['run', '-d', '--name', 'rotated', '--log-opt', 'max-size=300', '--log-opt', 'max-file=3', '--network', 'none', IMAGE, 'sh', '-c', SLOW_LINES])
    .trim();
  try {
    const followed = logsInBackground(['-f', 'rotated']);
    await env.until('the rotator to start', () => env.processesUsingRoot().some((p) => p.includes('container-logrotate')), 10_000);
    env.ok(['exec', 'rotated', 'touch', '/go']);
    assert.equal(env.ok(['wait', 'rotated']), '0\n');
    const log = path.join(env.root, 'containers', id, 'container.log');
    assert.ok(fs.existsSync(`${log}.1`) && fs.existsSync(`${log}.2`), 'two rotated files');
    assert.ok(!fs.existsSync(`${log}.3`), 'max-file=3: no third');
    for (const f of [log, `${log}.1`, `${log}.2`]) assert.ok(fs.statSync(f).size <= 300 + 64, `${f} near max-size`);
    // Each older file ends just before the next one begins.
    const [n2, n1, n0] = [`${log}.2`, `${log}.1`, log].map((f) => numbers(fs.readFileSync(f, 'utf8').replace(/^\S+ \S+ F /gm, '')));
    assert.equal(n2.at(-1)! + 1, n1[0]);
    assert.equal(n1.at(-1)! + 1, n0[0]);
    const all = numbers(env.ok(['logs', 'rotated']));
    assert.equal(all.at(-1), 40);
    assert.ok(consecutive(all), `in order, none missing: ${all.join(',')}`);
    assert.equal(all.length, n2.length + n1.length + n0.length);
    assert.ok(all.length > n0.length, 'more than the current file');
    assert.deepEqual(numbers(env.ok(['logs', '--tail', '3', 'rotated'])), [38, 39, 40]);
    // A follower started before the output saw every line, across the rotations.
    const f = await followed;
    assert.equal(f.code, 0);
    assert.deepEqual(
      numbers(f.stdout),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    // The rotator ends with conmon (it looks every 500 ms).
    await env.until('the rotator to end', () => !env.processesUsingRoot().some((p) => p.includes('container-logrotate')), 5000);
  } finally {
    env.ok(['rm', '-f', 'rotated']);
  }
});

test('logs -f --until stops following at that time', { skip }, async () => {
  env.ok(['run', '-d', '--name', 'ticking', '--network', 'none', IMAGE, 'sh', '-c', 'while :; do echo tick; sleep 0.1; done']);
  try {
    const until = new Date(Date.now() + 1500);
    const r = await logsInBackground(['-f', '-t', '--until', until.toISOString(), 'ticking']);
    assert.equal(r.code, 0);
    assert.ok(r.ms < 10_000, `ended after ${r.ms} ms`);
    const times = r.stdout
      .trim()
      .split('\n')
      .map((l) => Date.parse(l.split(' ')[0]!));
    assert.ok(times.length >= 5, `ticks before the until time: ${times.length}`);
    for (const t of times) assert.ok(t <= until.getTime(), 'nothing after --until');
    assert.equal(env.inspect('ticking').State.Status, 'running', 'the container runs on');
    // A time already past ends at once with what came before it.
    const past = await logsInBackground(['-f', '--until', '0s', 'ticking']);
    assert.equal(past.code, 0);
    assert.match(past.stdout, /^tick\n/);
  } finally {
    env.ok(['rm', '-f', 'ticking']);
  }
});
