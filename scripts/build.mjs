// Builds everything hako runs: the TypeScript (type-checked by tsc into build/), the start-up bundle
// (esbuild, one file, so `hako runtime run` loads one module instead of dozens) and the native helper.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

run('make', ['-s', '-C', 'native']);
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
const esbuild = await import('esbuild');
// One CommonJS file: Node's CommonJS loader starts much faster than its ESM loader (measured: the
// ESM build, even split per command, cost ~17 ms more CPU for `hako runtime --help`). Commands
// still load lazily: esbuild wraps each lazily imported module and evaluates it on first use.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await esbuild.build({
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outfile: path.join(root, 'dist/hako.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // The sources are ESM and find their installation through import.meta.url.
  define: { 'import.meta.url': '__hakoModuleUrl' },
  banner: { js: "const __hakoModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The V8 start-up snapshot bin/hako starts from (~25 ms less per command, measured with `hyperfine`
// on `hako runtime --help`): main.ts sees it is being snapshotted and loads the runtime's modules.
// It only works with the node that built it; bin/hako falls back to dist/hako.cjs otherwise.
// Node warns that snapshotting node:child_process is "not yet fully verified"; the integration
// tests run every command from this snapshot.
// Two: dist/runtime.blob (runtime commands only; smaller, so quicker to start) and dist/hako.blob.
for (const [name, only] of [['runtime.blob', 'runtime'], ['hako.blob', 'all']]) {
  const blob = path.join(root, 'dist', name);
  try {
    execFileSync(process.execPath, ['--no-warnings', '--snapshot-blob', blob, '--build-snapshot', path.join(root, 'dist/hako.cjs')], {
      cwd: root, stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, HAKO_SNAPSHOT: only },
    });
  } catch (e) {
    fs.rmSync(blob, { force: true });
    console.warn(`build: no start-up snapshot ${name} (hako starts without it): ${e.stderr?.toString().trim().split('\n').slice(-3).join(' ') || e.message}`);
  }
}
