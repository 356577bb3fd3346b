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
// Split at the CLI's lazy imports: `hako runtime …` loads the runtime's chunk only, not the engine,
// the registry client or the image code (V8 compiling unused code was a third of our start-up).
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await esbuild.build({
  entryPoints: { hako: path.join(root, 'src/cli/main.ts') },
  outdir: path.join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __hakoCreateRequire } from 'node:module'; const require = __hakoCreateRequire(import.meta.url);" },
});
