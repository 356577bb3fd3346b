// src/storage/layers/ must not touch a tree through a path: Node's fs resolves every path it is
// given, following symlinks in it, and has no *at calls. Every operation on an unpacked layer goes
// through the layer worker (worker.ts, native/unpack.c). This test greps the sources so that a
// path-taking fs call cannot come back unnoticed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// build/test/unit/storage -> the repository's src/storage/layers
const layersDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/storage/layers');

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"](node:)?fs(\/promises)?['"]/, 'imports node:fs'],
  [/require\(\s*['"](node:)?fs(\/promises)?['"]\s*\)/, 'requires node:fs'],
  [/import\(\s*['"](node:)?fs(\/promises)?['"]\s*\)/, 'imports node:fs dynamically'],
  [/\b(createWriteStream|createReadStream|openAsBlob)\b/, 'opens a path as a stream'],
  [/\b(fs|fsp|promises)\.\w+\(/, 'calls fs'],
  [
    /\b(lstat|stat|chmod|lchmod|chown|lchown|utimes|lutimes|symlink|link|unlink|rmdir|rm|mkdir|mkdtemp|readdir|opendir|open|rename|copyFile|cp|truncate|writeFile|appendFile|readFile|readlink|realpath|access|exists)(Sync)?\(/,
    'calls a path-taking fs function',
  ],
];

test('no path-taking fs call in src/storage/layers/', () => {
  const files = readdirSync(layersDir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, `found the sources in ${layersDir}`);
  const found: string[] = [];
  for (const f of files) {
    readFileSync(join(layersDir, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, ''); // comments may name them
        for (const [re, what] of FORBIDDEN) if (re.test(code)) found.push(`${f}:${i + 1}: ${what}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
