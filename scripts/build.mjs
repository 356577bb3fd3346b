// Builds everything hako runs: the native helper, the TypeScript (type-checked by tsc into build/:
// the library and the tests, run by Node) and dist/hako, the command-line executable that bin/hako
// and bin/hako-runtime start (compiled by Bun, which starts in a third of Node's time).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

// tsc leaves the output of deleted sources behind, and node --test would still run a deleted test.
fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);

// native/ops.h, hako-init's dispatch table, is generated from the one table of plan operations
// (src/native/ops.ts); checked in too, so `make -C native` works alone. Written only when it changed,
// so make does not rebuild the helper for nothing.
const { opsHeader } = await import(path.join(root, 'build/src/native/ops.js'));
const header = path.join(root, 'native', 'ops.h');
if (!fs.existsSync(header) || fs.readFileSync(header, 'utf8') !== opsHeader()) fs.writeFileSync(header, opsHeader());
run('make', ['-s', '-C', 'native']);

// One executable with Bun's runtime and hako's code compiled to bytecode, split into chunks
// (--splitting) so that a lazily imported module's imports are lazy too: without it Bun hoists every
// module's `import … from 'node:…'` to the one top level, and `hako runtime state` loaded http,
// https, zlib, stream and net for the engine before main ran (main at ~10 ms instead of ~3.5 ms).
// It runs as root, often in a directory someone else controls, so it must not read configuration from there: Bun's
// executables load ./.env (which could set HAKO_INIT) and ./bunfig.toml (which could preload a
// script) unless told not to; tsconfig.json and package.json are off by default, and stay off.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const bun = path.join(root, 'node_modules', '.bin', 'bun');
// --compile-jit-policy=10: JavaScriptCore tiers code up to its JITs 10x later. A runtime command
// lives ~50 ms and runs most code once; JIT-compiling the few loops that pass the normal thresholds
// (plan encoding, seccomp tables) cost more CPU than it saved (A/B: `runtime run` 48.3 -> 43.6 ms
// of CPU, median of 40). A long engine command (a pull) still gets its hot loops compiled.
run(
  bun,
  [
    'build',
    '--compile',
    '--bytecode',
    '--splitting',
    '--compile-jit-policy=10',
    '--target=bun',
    '--format=esm',
    '--sourcemap=inline',
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    '--no-compile-autoload-tsconfig',
    '--no-compile-autoload-package-json',
    path.join(root, 'src', 'cli', 'main.ts'),
    '--outfile',
    path.join(root, 'dist', 'hako'),
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
// The source maps are inside the executable (stack traces name src/ files); Bun writes a copy of
// each chunk's beside it.
for (const name of fs.readdirSync(path.join(root, 'dist'))) {
  if (name.endsWith('.map')) fs.rmSync(path.join(root, 'dist', name));
}
// bin/hako-runtime starts it under this name, which makes it the OCI runtime (src/cli/main.ts).
fs.symlinkSync('hako', path.join(root, 'dist', 'hako-runtime'));
