// Builds everything hako runs: the TypeScript (type-checked by tsc into build/), the start-up bundles
// and their V8 snapshots (esbuild; bin/hako starts from them) and the native helper.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

run('make', ['-s', '-C', 'native']);
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
const esbuild = await import('esbuild');
// CommonJS bundles, because a V8 start-up snapshot can only be built from a CommonJS script. Two:
// dist/hako.cjs (everything) and dist/runtime.cjs (the runtime only: what `hako runtime` and
// `hako-runtime` load, without the engine's code; a smaller snapshot starts quicker). Commands
// still load lazily: esbuild wraps each lazily imported module and evaluates it on first use.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
for (const [name, runtimeOnly] of [['hako.cjs', false], ['runtime.cjs', true]]) {
  await esbuild.build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile: path.join(root, 'dist', name),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    logLevel: 'warning',
    // The sources are ESM and find their installation through import.meta.url.
    define: { 'import.meta.url': '__hakoModuleUrl', __HAKO_RUNTIME_ONLY__: String(runtimeOnly) },
    banner: { js: "const __hakoModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}

// The V8 start-up snapshots bin/hako starts from, one per bundle (~25 ms less per command, measured
// with `hyperfine` on `hako runtime list`): main.ts sees it is being snapshotted, loads its modules
// and warms up the create path. A snapshot only works with the node that built it; bin/hako falls
// back to the bundle otherwise. Node warns that snapshotting node:child_process is "not yet fully
// verified"; the integration tests run every command from these snapshots.
for (const name of ['runtime', 'hako']) {
  const blob = path.join(root, 'dist', `${name}.blob`);
  try {
    execFileSync(process.execPath, ['--no-warnings', '--snapshot-blob', blob, '--build-snapshot', path.join(root, 'dist', `${name}.cjs`)], {
      cwd: root, stdio: ['ignore', 'inherit', 'pipe'],
    });
  } catch (e) {
    fs.rmSync(blob, { force: true });
    console.warn(`build: no start-up snapshot ${name}.blob (hako starts without it): ${e.stderr?.toString().trim().split('\n').slice(-3).join(' ') || e.message}`);
  }
}
