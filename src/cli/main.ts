// The `hako` executable (dist/hako, compiled by Bun: scripts/build.mjs). `hako runtime …` is the
// OCI runtime, also installed as `hako-runtime`; the other commands are the engine's.
import path from 'node:path';
import { reportError, reportUncaught } from './errors.js';
import { trace } from '../util/trace.js';
import { endStdio, useStdioStreams, writeOut } from '../util/stdio.js';

const USAGE = `usage: hako COMMAND [ARGS]

  runtime …     the OCI runtime, runc's command line (hako runtime --help)`;

async function main(argv: string[]): Promise<number> {
  trace(`main, ${performance.now().toFixed(1)} ms after the process started`);
  process.once('exit', () => trace('exit'));
  // dist/hako-runtime is a link to this executable (bin/hako-runtime runs it): its name decides.
  if (path.basename(process.argv0) === 'hako-runtime') argv = ['runtime', ...argv];
  let [command, ...rest] = argv;
  // `hako help` is `hako --help`; `hako help runtime [COMMAND]` the runtime's help.
  if (command === 'help' && (rest.length === 0 || rest[0] === 'runtime'))
    [command, ...rest] = rest.length ? ['runtime', 'help', ...rest.slice(1, 2)] : ['--help'];
  switch (command) {
    case 'runtime': {
      const { runtimeMain } = await import('./runtime/index.js');
      return runtimeMain(rest);
    }
    case undefined:
    case '-h':
    case '--help': {
      const { ENGINE_USAGE } = await import('./engine/index.js');
      writeOut(`${USAGE}\n${ENGINE_USAGE}\n`);
      return command ? 0 : 1;
    }
    default: {
      // Every other word is the engine's (`--root DIR` before the command, too); it says which
      // commands it knows. The engine streams (logs, attach, pull progress) through
      // process.stdout/stderr.
      useStdioStreams();
      const { engineMain } = await import('./engine/index.js');
      return engineMain(argv);
    }
  }
}

// Ends the process as soon as the command is done (whatever it started in the background, say
// conmon, is detached) instead of at the natural end of the event loop, which may never come. But
// only once stdout and stderr have written everything (src/util/stdio.ts).
function exit(code: number): void {
  process.exitCode = code;
  endStdio(() => process.exit(code));
}

function run(argv: string[]): void {
  reportUncaught();
  main(argv).then(
    (code) => exit(code),
    (err: unknown) => exit(reportError(err)),
  );
}

run(process.argv.slice(2));
