// .dockerignore and COPY source patterns (src/build/patterns.ts): Go's filepath.Match plus `**`,
// `!` exceptions, the last matching line deciding, a directory match excluding what is below it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanRel, isIgnored, parseDockerignore, patternRegExp } from '../../../src/build/patterns.js';

test('patterns match whole paths, * and ? within a component, ** across them', () => {
  assert.ok(patternRegExp('*.txt').test('a.txt'));
  assert.ok(!patternRegExp('*.txt').test('d/a.txt'));
  assert.ok(patternRegExp('**/*.txt').test('d/e/a.txt'));
  assert.ok(patternRegExp('**/*.txt').test('a.txt'));
  assert.ok(patternRegExp('a?c').test('abc'));
  assert.ok(patternRegExp('[a-c]x').test('bx') && !patternRegExp('[^a-c]x').test('bx'));
  assert.ok(patternRegExp('a.b').test('a.b') && !patternRegExp('a.b').test('axb'), 'dots are literal');
});

test('.dockerignore: comments, exceptions, directories, cleaned paths', () => {
  const rules = parseDockerignore('# c\n*.log\n!keep.log\n/secret/\n**/tmp\n./x/../y\n');
  const ignored = (p: string) => isIgnored(p, rules);
  assert.ok(ignored('a.log') && !ignored('keep.log'));
  assert.ok(ignored('secret') && ignored('secret/key'));
  assert.ok(ignored('a/b/tmp') && ignored('tmp/x'));
  assert.ok(ignored('y') && !ignored('x'));
  assert.ok(!ignored('src/a.log'), '*.log is the top level only, as docker');
  assert.equal(cleanRel('/a//b/./c/../d/'), 'a/b/d');
});

test('COPY --from parents: symlinks resolved from the listing, inside the root', async () => {
  const { resolveParents } = await import('../../../src/build/copy.js');
  const node = (rel: string, target?: string) => [rel, { rel, type: target === undefined ? 'd' : 'l', target: Buffer.from(target ?? '') }] as const;
  const byRel = new Map([node('lib', 'usr/lib'), node('usr'), node('usr/lib'), node('up', '../../..'), node('abs', '/usr'), node('loop', 'loop')]);
  const map = byRel as unknown as Parameters<typeof resolveParents>[1];
  assert.equal(resolveParents('lib/x.so', map), 'usr/lib/x.so');
  assert.equal(resolveParents('up/up/etc/passwd', map), 'etc/passwd', '.. stops at the root');
  assert.equal(resolveParents('abs/lib/x', map), 'usr/lib/x');
  assert.equal(resolveParents('lib', map), 'lib', 'the last component is not followed');
  assert.equal(resolveParents('loop/x', map), 'loop/x', 'a loop stays unresolved (not found)');
});
