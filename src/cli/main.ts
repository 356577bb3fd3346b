// The `hako` executable. `hako runtime …` is the OCI runtime (also installed as `hako-runtime`);
// engine commands join as they land. Modules are loaded lazily so each command pays only for itself.
import v8 from 'node:v8';
import { HakoError } from '../util/errors.js';
import { reportError, reportUncaught } from './errors.js';
import { trace } from '../util/trace.js';
import { restoreLauncherEnv } from '../util/launcher-env.js';

/** Set by the bundler (scripts/build.mjs): true in dist/runtime.cjs, the runtime-only bundle that
 *  `hako runtime` and `hako-runtime` start from; there the engine's code is left out entirely. */
declare const __HAKO_RUNTIME_ONLY__: boolean;

const USAGE = `usage: hako COMMAND [ARGS]

  runtime …     the OCI runtime, runc's command line (hako runtime --help)`;

async function main(argv: string[]): Promise<number> {
  trace('main');
  process.once('exit', () => trace('exit'));
  restoreLauncherEnv();
  // Set by bin/hako when started as hako-runtime; not for the programs we start.
  if (process.env.HAKO_ARGV0 === 'runtime') argv = ['runtime', ...argv];
  delete process.env.HAKO_ARGV0;
  const [command, ...rest] = argv;
  switch (command) {
    case 'runtime': {
      const { runtimeMain } = await import('../runtime/cli.js');
      return runtimeMain(rest);
    }
    case 'run': case 'create': case 'start': case 'ps': case 'exec': case 'logs': case 'stop': case 'kill': case 'rm':
    case 'inspect': case 'wait': case 'top': case 'stats': case 'images': case 'pull': case 'rmi': case 'load': case 'save': case 'import': case 'container-exited': case 'network': case '--root': {
      // if/else, not an early throw: the bundler drops the dead branch, and the engine with it.
      if (__HAKO_RUNTIME_ONLY__) {
        throw new HakoError(`"${command}" is an engine command: run it as hako, not hako-runtime`);
      } else {
        const { engineMain } = await import('./engine.js');
        return engineMain(argv);
      }
    }
    case undefined: case '-h': case '--help':
      if (__HAKO_RUNTIME_ONLY__) {
        return (await import('../runtime/cli.js')).runtimeMain(['--help']);
      } else {
        process.stdout.write(`${USAGE}\n${(await import('./engine.js')).ENGINE_USAGE}\n`);
        return command ? 0 : 1;
      }
    default:
      throw new HakoError(`unknown command "${command}" (see hako --help)`);
  }
}

// Ends the process as soon as the command is done (whatever it started in the background, say
// conmon, is detached) instead of at the natural end of the event loop: skipping Node's orderly
// teardown saves ~4 ms of a `runtime run`. Unless output is still queued: stdout and stderr may be
// pipes, which Node writes asynchronously, and process.exit would cut them short.
function exit(code: number): void {
  process.exitCode = code;
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
}

function run(argv: string[]): void {
  reportUncaught();
  main(argv).then(
    (code) => exit(code),
    (err: unknown) => exit(reportError(err)),
  );
}

if (v8.startupSnapshot?.isBuildingSnapshot()) {
  // `npm run build` makes a snapshot of each bundle (scripts/build.mjs): dist/runtime.blob with the
  // runtime's modules loaded and evaluated, for `hako runtime`/`hako-runtime` (a smaller snapshot
  // starts quicker), and dist/hako.blob with the engine's too. A `hako` started from one (bin/hako)
  // begins at run() with no module to read, compile or evaluate. What cannot be in a snapshot
  // (node:http and node:tls: the registry client) is loaded on first use, as without one. In a
  // snapshot, argv[1] is already the first argument.
  void Promise.all([
    import('../runtime/cli.js'), import('../runtime/warm-up.js'),
    !__HAKO_RUNTIME_ONLY__ && import('./engine.js'), !__HAKO_RUNTIME_ONLY__ && import('../engine/warm-up.js'),
  ])
    .then(([, warm, , engineWarm]) => warm.warmUpForSnapshot(engineWarm ? [engineWarm.warmUpEngineForSnapshot] : []))
    .then(() => v8.startupSnapshot.setDeserializeMainFunction(() => run(process.argv.slice(1))));
} else {
  run(process.argv.slice(2));
}
