// Builds everything hako runs: the TypeScript (type-checked by tsc into build/), the start-up bundle
// (esbuild, one file, so `hako runtime run` loads one module instead of dozens) and the native helper.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

run('make', ['-s', '-C', 'native']);
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outfile: path.join(root, 'dist/hako.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __hakoCreateRequire } from 'node:module'; const require = __hakoCreateRequire(import.meta.url);" },
});
