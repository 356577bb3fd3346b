// mkdirp: Node's recursive mkdir loops forever under /proc; ours ends with the error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdirp } from '../../../src/util/mkdirp.js';

test('makes missing parents, accepts an existing directory, refuses a file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-mkdirp-'));
  try {
    mkdirp(path.join(dir, 'a/b/c'), 0o700);
    assert.equal(fs.statSync(path.join(dir, 'a/b/c')).mode & 0o777, 0o700);
    mkdirp(path.join(dir, 'a/b'));
    fs.writeFileSync(path.join(dir, 'f'), '');
    assert.throws(() => mkdirp(path.join(dir, 'f')), { code: 'EEXIST' });
    assert.throws(() => mkdirp(path.join(dir, 'f/x')), { code: 'ENOTDIR' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('under /proc, where mkdir says ENOENT with the parent there, it fails instead of looping', () => {
  assert.throws(() => mkdirp('/proc/hako-no-such/x/y'), { code: 'ENOENT' });
});
