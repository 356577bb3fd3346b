// `hako cp`: docker's path rules (src/engine/cp/paths.ts), the CLI's CONTAINER:PATH split, and
// the container side held to no path-taking fs call (as test/unit/storage/no-fs.test.ts does for
// the layer code): its root is hostile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitPath, target, checkSource } from '../../../src/engine/cp/paths.js';
import { splitCpArg } from '../../../src/cli/engine/cp.js';

test('splitPath: trailing slash, /. and the root', () => {
  assert.deepEqual(splitPath('/a/b'), { full: '/a/b', dir: '/a', base: 'b', trailingSlash: false, contentsOnly: false });
  assert.deepEqual(splitPath('/a/b/'), { full: '/a/b', dir: '/a', base: 'b', trailingSlash: true, contentsOnly: false });
  assert.deepEqual(splitPath('/a/b/.'), { full: '/a/b', dir: '/a', base: 'b', trailingSlash: false, contentsOnly: true });
  assert.deepEqual(splitPath('/'), { full: '/', dir: '/', base: '', trailingSlash: false, contentsOnly: false });
  assert.deepEqual(splitPath('x/y', '/work'), { full: '/work/x/y', dir: '/work/x', base: 'y', trailingSlash: false, contentsOnly: false });
  assert.equal(splitPath('/a/..').base, '');
});

test("target: docker's cp rules", () => {
  const s = (p: string) => splitPath(p);
  // a file into a directory keeps its name; to a missing name takes that name; over a file replaces it
  assert.deepEqual(target(s('/f'), 'file', s('/d'), 'dir', 'd'), { dir: '/d', top: 'f' });
  assert.deepEqual(target(s('/f'), 'file', s('/d/new'), 'missing', 'd'), { dir: '/d', top: 'new' });
  assert.deepEqual(target(s('/f'), 'file', s('/d/old'), 'file', 'd'), { dir: '/d', top: 'old' });
  // a directory into a directory; its content with /.; to a missing name becomes it
  assert.deepEqual(target(s('/src'), 'dir', s('/d'), 'dir', 'd'), { dir: '/d', top: 'src' });
  assert.deepEqual(target(s('/src/.'), 'dir', s('/d'), 'dir', 'd'), { dir: '/d', top: '' });
  assert.deepEqual(target(s('/src'), 'dir', s('/d/new'), 'missing', 'd'), { dir: '/d', top: 'new' });
  assert.throws(() => target(s('/src'), 'dir', s('/d/f'), 'file', 'd/f'), /cannot copy a directory to a file: d\/f/);
  assert.throws(() => target(s('/f'), 'file', s('/d/new/'), 'missing', 'd/new/'), /d\/new\/: no such directory/);
  assert.throws(() => target(s('/f'), 'file', s('/d/f/'), 'file', 'd/f/'), /not a directory/);
  assert.throws(() => checkSource(s('/f/'), 'file', '/f/'), /\/f\/: not a directory/);
  assert.throws(() => checkSource(s('/f/.'), 'file', '/f/.'), /not a directory/);
  assert.throws(() => checkSource(s('/x'), 'missing', '/x in container c'), /could not find the file \/x in container c/);
});

test('CONTAINER:PATH is told from a local path as docker does', () => {
  assert.deepEqual(splitCpArg('c:/etc'), { container: 'c', path: '/etc' });
  assert.deepEqual(splitCpArg('c:'), { container: 'c', path: '/' });
  assert.deepEqual(splitCpArg('/tmp/a:b'), { path: '/tmp/a:b' });
  assert.deepEqual(splitCpArg('./a:b'), { path: './a:b' });
  assert.deepEqual(splitCpArg('-'), { path: '-' });
  assert.deepEqual(splitCpArg('file'), { path: 'file' });
});

const cpDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/engine/cp');
const FORBIDDEN = [/from\s+['"](node:)?fs(\/promises)?['"]/, /import\(\s*['"](node:)?fs/, /\b(createReadStream|createWriteStream)\b/, /\bfs\.\w+\(/];

test('the container side of cp calls no path-taking fs function', () => {
  const found: string[] = [];
  for (const f of ['container.ts', 'write.ts', 'tar.ts', 'entries.ts', 'paths.ts']) {
    readFileSync(join(cpDir, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (FORBIDDEN.some((re) => re.test(code))) found.push(`${f}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
