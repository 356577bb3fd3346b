// The snapshot warm-ups (src/runtime/warm-up.ts, src/engine/warm-up.ts; main.ts runs them while
// `npm run build` makes the snapshots) must work without root and leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { warmUpForSnapshot } from '../../../src/runtime/warm-up.js';
import { warmUpEngineForSnapshot } from '../../../src/engine/warm-up.js';

function leavesNoTempDir(warmUp: () => void): void {
  const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('hako-warm-up-')));
  warmUp();
  const after = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('hako-warm-up-') && !before.has(n));
  assert.deepEqual(after, []);
}

test('the runtime\'s compiles a default container (with and without seccomp) and leaves no temporary bundle', () => {
  leavesNoTempDir(warmUpForSnapshot);
});

test('the engine\'s builds a run\'s spec and leaves no temporary directory', () => {
  leavesNoTempDir(warmUpEngineForSnapshot);
});
