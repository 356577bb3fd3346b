// Variable substitution and words (src/build/expand.ts), as the Dockerfile reference's
// "Environment replacement" describes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandWord, expandWords, keyValues } from '../../../src/build/expand.js';

const vars = new Map([
  ['foo', '/bar'],
  ['empty', ''],
  ['x', 'X'],
]);

test('$name, ${name}, modifiers, nesting', () => {
  assert.equal(expandWord('$foo/${foo}_baz', vars), '/bar//bar_baz');
  assert.equal(expandWord('${nope:-def}|${empty:-def}|${empty-def}|${foo:-def}', vars), 'def|def||/bar');
  assert.equal(expandWord('${foo:+set}|${empty:+set}|${empty+set}|${nope+set}', vars), 'set||set|');
  assert.equal(expandWord('${nope:-${x}-$x}', vars), 'X-X');
  assert.equal(expandWord('$nope.', vars), '.');
  assert.equal(expandWord('$ 1 $', vars), '$ 1 $', 'a lone $ stays');
});

test('escapes and quotes', () => {
  assert.equal(expandWord('\\$foo \\${foo}', vars), '$foo ${foo}');
  assert.equal(expandWord('\'$foo\' "$foo"', vars), '$foo /bar');
  assert.equal(expandWord('`$foo', vars, '`'), '$foo');
  assert.deepEqual(expandWords('a "b c" d\\ e \'$x\' $x', vars), ['a', 'b c', 'd e', '$x', 'X']);
  assert.deepEqual(expandWords('""', vars), ['']);
});

test('ENV and LABEL pairs, and the legacy ENV form', () => {
  assert.deepEqual(keyValues('A=1 B="two words" C=$x', vars, '\\', true), [
    ['A', '1'],
    ['B', 'two words'],
    ['C', 'X'],
  ]);
  assert.deepEqual(keyValues('NAME some value $x', vars, '\\', true), [['NAME', 'some value X']]);
  assert.deepEqual(keyValues('ONLY', vars, '\\', false), [['ONLY', undefined]]);
});
