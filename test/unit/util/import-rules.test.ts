// The import check (`npm run lint:imports`, .dependency-cruiser.cjs) must be able to fail: run on
// small trees shaped like src/, it passes a downward import and rejects an upward one, a cycle, a
// reach into the runtime's internals from above, a lookup of hako-init outside src/native, and a
// folder that is no layer. The real src/ is checked by the CI stage itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/unit/util -> the repository
const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const depcruise = path.join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** Runs the project's rules on a tree of `files` (path -> the modules it imports). */
function cruise(t: { after(fn: () => void): void }, files: Record<string, string[]>): { ok: boolean; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-imports-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
  for (const [file, imports] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    const lines = imports.map((target) => {
      let rel = path.relative(path.dirname(file), target).replace(/\.ts$/, '.js');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `import '${rel}';`;
    });
    fs.writeFileSync(path.join(dir, file), `${lines.join('\n')}\nexport {};\n`);
  }
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', path.join(repo, '.dependency-cruiser.cjs')], { cwd: dir, encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

test('downward imports pass; upward ones, cycles, runtime internals and strangers fail, naming the rule', (t) => {
  const good = cruise(t, {
    'src/util/errors.ts': [],
    'src/oci/types.ts': ['src/util/errors.ts'],
    'src/native/find.ts': ['src/oci/types.ts'],
    'src/native/modes.ts': ['src/native/find.ts'],
    'src/cgroups/index.ts': ['src/native/modes.ts'],
    'src/runtime/state.ts': [],
    'src/runtime/index.ts': ['src/cgroups/index.ts', 'src/runtime/state.ts'],
    'src/engine/engine.ts': ['src/runtime/index.ts'],
  });
  assert.ok(good.ok, good.out);

  // One tree with one violation of each rule (a run costs seconds), each rule named in the output.
  const bad = cruise(t, {
    'src/runtime/index.ts': [],
    'src/runtime/state.ts': [],
    'src/cgroups/index.ts': ['src/runtime/index.ts'],
    'src/image/ref.ts': [],
    'src/storage/store.ts': ['src/image/ref.ts'],
    'src/cgroups/a.ts': ['src/cgroups/b.ts'],
    'src/cgroups/b.ts': ['src/cgroups/a.ts'],
    'src/engine/engine.ts': ['src/runtime/state.ts'],
    'src/native/find.ts': [],
    'src/storage/worker.ts': ['src/native/find.ts'],
    'src/util/errors.ts': [],
    'src/newthing/a.ts': ['src/util/errors.ts'],
  });
  assert.ok(!bad.ok, `the check fails\n${bad.out}`);
  const expected = [
    'cgroups-imports-downward: src/cgroups/index.ts → src/runtime/index.ts',
    'storage-imports-downward: src/storage/store.ts → src/image/ref.ts',
    'no-cycles: src/cgroups/a.ts',
    'runtime-public-surface: src/engine/engine.ts → src/runtime/state.ts',
    'hako-init-starts-in-native: src/storage/worker.ts → src/native/find.ts',
    'known-layer: src/newthing/a.ts',
  ];
  for (const line of expected) assert.ok(bad.out.includes(`error ${line}`), `reports "${line}"\n${bad.out}`);
});
