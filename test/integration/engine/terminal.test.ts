// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// -it: run and exec with a real terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

// The CLI runs as the foreground job of a real pty (test/fixtures/pty.ts), sized 30x90 first, so
// -it is tested the way a user sees it. Not `script`: with its stdin at EOF it types ^D into the
// terminal at once, which `hako` turns raw and relays, so a stray "^@" echo lands in the output.
// The size is asked for first thing: the pty must have it before the process runs.
test("run -it and exec -it get a real terminal with the caller's window size", { skip: skip || (ptyUnavailable() ?? false) }, () => {
  const sized = (args: string[]) => runOnPty(['sh', '-c', 'stty rows 30 cols 90 && exec "$@"', 'sh', HAKO, '--root', env.root, ...args], [], 60);
  const r = sized(['run', '-it', '--rm', IMAGE, 'sh', '-c', 'tty; stty size; exit 4']);
  assert.equal(r.status, 4, r.output);
  assert.match(r.output, /^\/dev\/pts\/\d+\r?\n30 90\r?\n$/, JSON.stringify(r.output));
  const id = env.ok(['run', '-dit', IMAGE, 'sh']).trim();
  try {
    const e = sized(['exec', '-it', id, 'sh', '-c', 'tty; stty size']);
    assert.equal(e.status, 0, e.output);
    assert.match(e.output, /^\/dev\/pts\/\d+\r?\n30 90\r?\n$/, JSON.stringify(e.output));
  } finally {
    env.ok(['rm', '-f', id]);
  }
});
