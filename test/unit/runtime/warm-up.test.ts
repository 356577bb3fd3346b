// The snapshot warm-up (src/runtime/warm-up.ts) runs at build time: it must work without root and
// leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { warmUpForSnapshot } from '../../../src/runtime/warm-up.js';

test('compiles a default container without root and leaves no temporary bundle', () => {
  const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('hako-warm-up-')));
  warmUpForSnapshot();
  const after = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('hako-warm-up-') && !before.has(n));
  assert.deepEqual(after, []);
});
