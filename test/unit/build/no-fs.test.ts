// The modules of src/build/ that handle an untrusted tree (the context, another stage's root, a
// step's upper directory) must not touch it through a path: Node's fs follows symlinks and has no
// *at calls. They go through the layer worker (tree.ts, native/unpack.c). This test greps them so
// that a path-taking fs call cannot come in unnoticed (the same rule as src/storage/layers/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const buildDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/build');
const UNTRUSTED_TREE_MODULES = ['tree.ts', 'layer.ts', 'copy.ts'];

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"](node:)?fs(\/promises)?['"]/, 'imports node:fs'],
  [/(require|import)\(\s*['"](node:)?fs(\/promises)?['"]\s*\)/, 'imports node:fs'],
  [/\b(createWriteStream|createReadStream|openAsBlob)\b/, 'opens a path as a stream'],
  [/\b(fs|fsp|promises)\.\w+\(/, 'calls fs'],
];

test('no fs call in the modules of src/build/ that handle untrusted trees', () => {
  const found: string[] = [];
  for (const f of UNTRUSTED_TREE_MODULES) {
    readFileSync(join(buildDir, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
        for (const [re, what] of FORBIDDEN) if (re.test(code)) found.push(`${f}:${i + 1}: ${what}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
