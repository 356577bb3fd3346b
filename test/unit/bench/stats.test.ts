import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, percentile, ratio, summarize } from '../../../bench/stats.js';

test('median of odd and even samples, independent of input order', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test('percentile interpolates linearly between ranks (numpy default)', () => {
  const xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  assert.equal(percentile(xs, 0), 10);
  assert.equal(percentile(xs, 1), 100);
  // position (10-1)*0.1 = 0.9 -> 10 + 0.9*10
  assert.equal(percentile(xs, 0.1), 19);
  assert.ok(Math.abs(percentile(xs, 0.9) - 91) < 1e-9);
  assert.equal(percentile([3, 1, 2], 0.25), 1.5);
});

test("percentile does not reorder the caller's array", () => {
  const xs = [3, 1, 2];
  percentile(xs, 0.5);
  assert.deepEqual(xs, [3, 1, 2]);
});

test('empty samples and out-of-range quantiles are rejected', () => {
  assert.throws(() => median([]), RangeError);
  assert.throws(() => percentile([1], 1.5), RangeError);
  assert.throws(() => percentile([1], -0.1), RangeError);
  assert.throws(() => percentile([1], Number.NaN), RangeError);
});

test('summarize reports n, median, p10/p90, min/max and mean', () => {
  const s = summarize([1, 2, 3, 4, 100]);
  assert.equal(s.n, 5);
  assert.equal(s.median, 3);
  assert.equal(s.min, 1);
  assert.equal(s.max, 100);
  assert.equal(s.mean, 22);
  assert.ok(Math.abs(s.p10 - 1.4) < 1e-9);
  assert.ok(Math.abs(s.p90 - 61.6) < 1e-9);
});

test('ratio is undefined when a side is missing or the peer is zero', () => {
  assert.equal(ratio(30, 15), 2);
  assert.equal(ratio(undefined, 15), undefined);
  assert.equal(ratio(30, undefined), undefined);
  assert.equal(ratio(30, 0), undefined);
});
