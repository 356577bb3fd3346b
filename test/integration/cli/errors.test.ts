// Failures the system causes (a full disk, no runtime directory) reach the user as one line naming
// the path, a non-zero exit, and nothing left behind. Needs root (a tmpfs mount, a second user).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const HAKO = path.join(REPO, 'bin/hako');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-cli-errors-'));
fs.chmodSync(work, 0o755);
after(() => fs.rmSync(work, { recursive: true, force: true }));

function hako(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(HAKO, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HAKO_ROOT: undefined, HAKO_DEBUG: undefined, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at |internal error|TypeError|RangeError/);
  return lines[0];
}

test('hako load onto a full disk: one line naming the path, no temp file left', () => {
  const src = path.join(work, 'src');
  const r0 = spawnSync(process.execPath, [path.join(REPO, 'scripts/builtin-image.mjs'), '--root', src], { encoding: 'utf8' });
  assert.equal(r0.status, 0, r0.stderr);
  const archive = path.join(work, 'busybox.tar');
  const layout = path.join(work, 'layout');
  assert.equal(hako(['--root', src, 'save', '-o', archive, 'hako.local/busybox']).status, 0);
  assert.equal(hako(['--root', src, 'save', '-o', layout, 'hako.local/busybox']).status, 0);
  const full = path.join(work, 'full');
  fs.mkdirSync(full);
  // 512 KiB: room for the small blobs, not for busybox's ~1 MB layer.
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', full], { encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  try {
    // A tar is extracted into the store's temp area first; a layout directory is read in place.
    const tar = hako(['--root', full, 'load', '-i', archive]);
    assert.equal(tar.status, 1);
    assert.match(oneLine(tar.stderr), new RegExp(`^hako: ${archive}: extracting into ${full}/tmp/load-[^ ]+: no space left on device \\(ENOSPC\\)$`));
    assert.deepEqual(fs.readdirSync(path.join(full, 'tmp')), [], 'no temp file left');
    const dir = hako(['--root', full, 'load', '-i', layout]);
    assert.equal(dir.status, 1);
    assert.match(oneLine(dir.stderr), new RegExp(`^hako: storing blob sha256:[0-9a-f]{64} in ${full}/blobs/sha256: no space left on device \\(ENOSPC\\)$`));
    assert.deepEqual(fs.readdirSync(path.join(full, 'tmp')), [], 'no temp file left');
    assert.equal(hako(['--root', full, 'images', '-q']).stdout, '', 'no image');
  } finally {
    spawnSync('umount', [full]);
  }
});
