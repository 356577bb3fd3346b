// The engine end to end, as root (the `hako` CLI against a temp root with the built-in busybox image):
// -it: run and exec with a real terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => { env = e; });

// `script` (util-linux) gives the CLI a real terminal, so -it is tested the way a user sees it.
const hasScript = fs.existsSync('/usr/bin/script');
test('run -it and exec -it get a real terminal with the caller\'s window size', { skip: skip || (!hasScript && 'needs script (util-linux)') }, async () => {
  const { spawnSync } = await import('node:child_process');
  const { HAKO } = await import('./harness.js');
  const viaPty = (cmd: string) => spawnSync('script', ['-qec', `stty rows 30 cols 90; ${cmd}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  const r = viaPty(`${HAKO} --root ${env.root} run -it --rm ${IMAGE} sh -c 'tty; stty size; exit 4'`);
  assert.equal(r.status, 4);
  assert.match(r.stdout, /\/dev\/pts\/\d+\r?\n30 90\r?\n/);
  const id = env.ok(['run', '-dit', IMAGE, 'sh']).trim();
  try {
    const e = viaPty(`${HAKO} --root ${env.root} exec -it ${id} sh -c 'tty; stty size'`);
    assert.equal(e.status, 0);
    assert.match(e.stdout, /\/dev\/pts\/\d+\r?\n30 90\r?\n/);
  } finally {
    env.ok(['rm', '-f', id]);
  }
});
