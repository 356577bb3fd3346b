// A state.json written by a newer hako (a higher format version, src/util/format-version.ts) is
// refused by the command line in one line naming the version, never misread; an older one (no
// version) still works. Unit tests cover the reader; this checks what a user sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAKO } from './harness.js';

function stateRoot(t: { after(fn: () => void): void }, formatVersion?: number): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-format-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.chmodSync(root, 0o700);
  fs.mkdirSync(path.join(root, 'c1'));
  const rec = { id: 'c1', bundle: '/nonexistent', pid: 0, pidStartTime: '', created: new Date().toISOString(), status: 'created', ownPidNamespace: true };
  fs.writeFileSync(path.join(root, 'c1', 'config.json'), '{"ociVersion":"1.0.2"}');
  fs.writeFileSync(path.join(root, 'c1', 'state.json'), JSON.stringify(formatVersion === undefined ? rec : { ...rec, formatVersion }));
  return root;
}

const hako = (...args: string[]) => spawnSync(HAKO, ['runtime', ...args], { encoding: 'utf8' });

test('state and list refuse a newer state.json in one line naming its format version', (t) => {
  const root = stateRoot(t, 99);
  for (const args of [['state', 'c1'], ['list']]) {
    const r = hako('--root', root, ...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^hako: .*state\.json: container state format version 99 is newer than this hako reads \(\d+\): use a newer hako\n$/);
  }
});

test('an older state.json (no version) is read as before', (t) => {
  const r = hako('--root', stateRoot(t), 'state', 'c1');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).id, 'c1');
});
