// The runtime's commands write through src/util/stdio.ts, never process.stdout/stderr directly:
// the CLI exits without ending the streams when stdio.ts says they were not used (src/cli/main.ts),
// so a direct stream write there could be cut short on a pipe. This test greps the sources that
// the runtime commands run, so that such a write cannot come back unnoticed.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// build/test/unit/util -> the repository
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const ROOTS = [
  'src/runtime',
  'src/cgroups',
  'src/util',
  'src/native',
  'src/oci',
  'src/cli/main.ts',
  'src/cli/errors.ts',
  'src/cli/command.ts',
  'src/cli/runtime',
];

function sources(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return p.endsWith('.ts') ? [p] : [];
  return readdirSync(p).flatMap((e) => sources(join(p, e)));
}

test('the runtime path writes output only through src/util/stdio.ts', () => {
  const files = ROOTS.flatMap((r) => sources(join(repo, r))).filter((f) => !f.endsWith('util/stdio.ts'));
  assert.ok(files.length >= 20, `found the sources under ${repo}`);
  const found: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, ''); // comments may name them
        if (/\bprocess\.(stdout|stderr)\b|\bconsole\.(log|error|warn|info)\(/.test(code)) found.push(`${relative(repo, f)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});

test('writeStdio keeps the order of output and falls back to the stream', () => {
  // A child writes directly, then through the stream, then directly again: once the stream is in
  // use, later writes must queue behind it.
  const mod = join(repo, 'build/src/util/stdio.js');
  const script = `import { writeOut, useStdioStreams } from ${JSON.stringify(mod)};
    writeOut('a\\n'); writeOut('b\\n'); useStdioStreams(); writeOut('c\\n'); writeOut('d\\n');`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, 'a\nb\nc\nd\n');
});
