// Random ids and names come from globalThis.crypto (src/util/random.ts), not node:crypto.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex, randomInt } from '../../../src/util/random.js';

test('randomHex: the asked number of bytes as hex, different each time', () => {
  const a = randomHex(32);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(randomHex(32), a);
});

test('randomInt: every value of [0, max) appears, nothing outside', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const x = randomInt(7);
    assert.ok(Number.isInteger(x) && x >= 0 && x < 7, `${x}`);
    seen.add(x);
  }
  assert.equal(seen.size, 7);
  assert.equal(randomInt(1), 0);
  assert.throws(() => randomInt(0), RangeError);
  assert.throws(() => randomInt(2 ** 32 + 1), RangeError);
});
