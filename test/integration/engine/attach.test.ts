// The engine end to end, as root: `hako attach` to running containers through conmon's attach
// socket (relayed by hako-init), with pipes and with a real terminal; the library's attachContainer
// with plain streams, as the Docker API's hijacked attach uses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

// Echoes each line on stdout and stderr; `quit` ends it with status 3.
const ECHO_LOOP = 'while read l; do [ "$l" = quit ] && exit 3; echo "got $l"; echo "err $l" >&2; done';

/** `hako attach ARGS` with pipes; lets the test type and read while it runs. */
function attachProcess(args: string[]) {
  const child = spawn(HAKO, ['--root', env.root, 'attach', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const status = new Promise<number>((resolve) => child.once('close', (code, sig) => resolve(code ?? 128 + (sig === 'SIGINT' ? 2 : 9))));
  return { child, status, out: () => stdout, err: () => stderr };
}

test('attach with pipes: stdin in, stdout and stderr apart, the exit status of a --rm container', { skip }, async () => {
  const id = env.ok(['run', '-di', '--rm', '--network', 'none', IMAGE, 'sh', '-c', ECHO_LOOP]).trim();
  const a = attachProcess([id.slice(0, 12)]);
  a.child.stdin.write('one\n');
  await env.until('the first line echoed', () => a.out().includes('got one'));
  a.child.stdin.write('two\nquit\n');
  assert.equal(await a.status, 3, a.err());
  assert.equal(a.out(), 'got one\ngot two\n');
  assert.equal(a.err(), 'err one\nerr two\n');
  await env.until('the --rm container removed', () => env.hako(['inspect', id]).code !== 0);
});

test('attach --sig-proxy passes ctrl-c on; --sig-proxy=false leaves the container alone', { skip }, async () => {
  const id = env.ok(['run', '-d', '--network', 'none', IMAGE, 'sh', '-c', "trap 'echo caught; exit 9' INT; while :; do sleep 0.1; done"]).trim();
  try {
    const quiet = attachProcess(['--sig-proxy=false', id]);
    await new Promise((r) => setTimeout(r, 500));
    quiet.child.kill('SIGINT');
    assert.equal(await quiet.status, 130, 'without the proxy, hako dies of the signal');
    assert.equal(env.inspect(id).State.Status, 'running');
    const a = attachProcess([id]);
    await new Promise((r) => setTimeout(r, 500));
    a.child.kill('SIGINT');
    assert.equal(await a.status, 9, a.err());
    assert.equal(a.out(), 'caught\n');
  } finally {
    env.ok(['rm', '-f', id]);
  }
});

test('attach refuses what it cannot do, in one line', { skip }, () => {
  const stopped = env.ok(['create', '--network', 'none', IMAGE, 'true']).trim();
  const tty = env.ok(['run', '-dit', '--network', 'none', IMAGE, 'sh']).trim();
  try {
    const r = env.hako(['attach', stopped]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^hako: cannot attach to container \w+: it is created; start it first\n$/);
    const t = env.hako(['attach', tty]);
    assert.equal(t.code, 1);
    assert.equal(t.stderr, 'hako: the input device is not a TTY\n', 'as docker, with stdin not a terminal');
    const k = env.hako(['attach', '--detach-keys', 'ctrl-1', tty]);
    assert.equal(k.code, 1);
    assert.match(k.stderr, /^hako: --detach-keys ctrl-1: unknown key "ctrl-1"/);
    assert.equal(env.hako(['attach', 'nope']).code, 1);
    assert.equal(env.hako(['attach']).code, 1);
  } finally {
    env.ok(['rm', '-f', stopped, tty]);
  }
});

test('attach -t on a real terminal: its size, typing, ctrl-p ctrl-q and other detach keys', { skip: skip || (ptyUnavailable() ?? false) }, () => {
  const id = env.ok(['run', '-dit', '--network', 'none', IMAGE, 'sh']).trim();
  try {
    const sized = (args: string[], steps: Parameters<typeof runOnPty>[1]) =>
      runOnPty(['sh', '-c', 'stty rows 33 cols 77 && exec "$@"', 'sh', HAKO, '--root', env.root, 'attach', ...args], steps, 30);
    const r = sized(
      [id],
      [
        { waitFor: '', delay: 0.8, send: 'stty size; echo "hi-$((1+2))"\r' },
        { waitFor: 'hi-3', delay: 0.2, send: '\x10\x11' },
      ],
    );
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /33 77\r+\nhi-3/, JSON.stringify(r.output));
    assert.equal(env.inspect(id).State.Status, 'running', 'detaching leaves it running');
    // ctrl-p alone is data; the custom keys detach.
    const k = sized(
      ['--detach-keys', 'ctrl-a,x', id],
      [
        { waitFor: '', delay: 0.8, send: '\x10\x11echo "x-$((2+2))"\r' },
        { waitFor: 'x-4', delay: 0.2, send: '\x01x' },
      ],
    );
    assert.equal(k.status, 0, k.output);
    assert.equal(env.inspect(id).State.Status, 'running');
    const e = sized([id], [{ waitFor: '', delay: 0.8, send: 'exit 5\r' }]);
    assert.equal(e.status, 5, e.output);
  } finally {
    env.ok(['rm', '-f', id]);
  }
});

test('the library: attachContainer on plain streams, ended by an AbortSignal', { skip }, async () => {
  const { Engine, attachContainer } = await import('../../../src/engine/index.js');
  const engine = new Engine({ root: env.root });
  const id = env.ok(['run', '-di', '--network', 'none', IMAGE, 'sh', '-c', ECHO_LOOP]).trim();
  try {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const abort = new AbortController();
    const done = attachContainer(engine, id, { stdin, stdout, stderr }, { signal: abort.signal });
    stdin.write('lib\n');
    await env.until('the echo', () => out.includes('got lib') && err.includes('err lib'));
    abort.abort();
    assert.deepEqual(await done, { end: 'closed' });
    assert.equal(env.inspect(id).State.Status, 'running', 'a closed attachment leaves it running');
    // A second attachment ends with the container, and knows its status.
    const again = attachContainer(engine, id, { stdin: PassThrough.from(['quit\n']), stdout, stderr });
    assert.deepEqual(await again, { end: 'exited', exitCode: 3 });
  } finally {
    env.ok(['rm', '-f', id]);
  }
});
