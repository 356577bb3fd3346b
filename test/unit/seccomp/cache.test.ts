import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedSeccompFilter, blobMatches, BLOB_MAGIC, BLOB_HEADER_SIZE } from '../../../src/runtime/seccomp/index.js';

/** A blob laid out like native/seccomp.c's: header (magic, text length at 12), text, program. */
function fakeBlob(text: string): Buffer {
  const header = Buffer.alloc(BLOB_HEADER_SIZE);
  BLOB_MAGIC.copy(header, 0);
  header.writeUInt32LE(Buffer.byteLength(text), 12);
  return Buffer.concat([header, Buffer.from(text), Buffer.alloc(8, 0x06)]);
}

function withDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-seccomp-cache-'));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const TEXT = 'default errno 1\nrule allow 0 read\n';

test('blobMatches checks the magic and the embedded text', () => {
  assert.equal(blobMatches(fakeBlob(TEXT), TEXT), true);
  assert.equal(blobMatches(fakeBlob(TEXT), TEXT + 'rule allow 0 write\n'), false);
  assert.equal(blobMatches(Buffer.from(TEXT), TEXT), false);
  assert.equal(blobMatches(fakeBlob(TEXT).subarray(0, 50), TEXT), false);
});

test('a miss exports and stores the blob, a hit reuses it without exporting', () => {
  withDir((root) => {
    const dir = path.join(root, 'cache');
    let exports = 0;
    const exporter = (t: string): Buffer => {
      exports++;
      return fakeBlob(t);
    };
    const first = cachedSeccompFilter(TEXT, dir, exporter);
    assert.ok(Buffer.isBuffer(first) && blobMatches(first, TEXT));
    assert.equal(exports, 1);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^[0-9a-f]{64}\.bpf$/);
    assert.equal(fs.statSync(path.join(dir, files[0]!)).mode & 0o777, 0o600);
    const second = cachedSeccompFilter(TEXT, dir, exporter);
    assert.deepEqual(second, first);
    assert.equal(exports, 1);
    // another profile is another entry
    cachedSeccompFilter(TEXT + 'rule allow 0 write\n', dir, exporter);
    assert.equal(exports, 2);
    assert.equal(fs.readdirSync(dir).length, 2);
  });
});

test('a cache file for other text (corrupt or tampered) is replaced, not used', () => {
  withDir((dir) => {
    cachedSeccompFilter(TEXT, dir, fakeBlob);
    const file = path.join(dir, fs.readdirSync(dir)[0]!);
    fs.writeFileSync(file, fakeBlob('default allow 0\n'));
    const got = cachedSeccompFilter(TEXT, dir, fakeBlob);
    assert.ok(Buffer.isBuffer(got) && blobMatches(got, TEXT));
    assert.ok(blobMatches(fs.readFileSync(file), TEXT));
  });
});

test('untrusted directory or file, or a failing exporter, fall back to the text', () => {
  withDir((dir) => {
    fs.chmodSync(dir, 0o777);
    assert.equal(cachedSeccompFilter(TEXT, dir, fakeBlob), TEXT);
    assert.deepEqual(fs.readdirSync(dir), []);
    fs.chmodSync(dir, 0o700);
    cachedSeccompFilter(TEXT, dir, fakeBlob);
    const file = path.join(dir, fs.readdirSync(dir)[0]!);
    fs.chmodSync(file, 0o666);
    let exported = false;
    const got = cachedSeccompFilter(TEXT, dir, (t) => {
      exported = true;
      return fakeBlob(t);
    });
    // a group/world-writable file is not read; a fresh blob is made instead
    assert.equal(exported, true);
    assert.ok(Buffer.isBuffer(got));
    assert.equal(
      cachedSeccompFilter('default allow 0\n', dir, () => {
        throw new Error('no helper');
      }),
      'default allow 0\n',
    );
    assert.equal(
      cachedSeccompFilter('default allow 0\n', dir, () => Buffer.from('garbage')),
      'default allow 0\n',
    );
  });
});
