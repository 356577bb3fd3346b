// The `hako` executable. `hako runtime …` is the OCI runtime (also installed as `hako-runtime`);
// engine commands join as they land. Modules are loaded lazily so each command pays only for itself.
import { HakoError } from '../util/errors.js';
import { logError } from '../util/log.js';
import { trace } from '../util/trace.js';

const USAGE = `usage: hako COMMAND [ARGS]

  runtime …     the OCI runtime, runc's command line (hako runtime --help)`;

async function main(argv: string[]): Promise<number> {
  trace('main');
  process.once('exit', () => trace('exit'));
  if (process.env.HAKO_ARGV0 === 'runtime') argv = ['runtime', ...argv];
  const [command, ...rest] = argv;
  switch (command) {
    case 'runtime': {
      const { runtimeMain } = await import('../runtime/cli.js');
      return runtimeMain(rest);
    }
    case 'run': case 'create': case 'start': case 'ps': case 'exec': case 'logs': case 'stop': case 'kill': case 'rm':
    case 'inspect': case 'wait': case 'top': case 'stats': case 'images': case 'pull': case 'rmi': case 'load': case 'save': case 'import': case 'container-exited': case 'network': case '--root': {
      const { engineMain } = await import('./engine.js');
      return engineMain(argv);
    }
    case undefined: case '-h': case '--help':
      process.stdout.write(`${USAGE}\n${(await import('./engine.js')).ENGINE_USAGE}\n`);
      return command ? 0 : 1;
    default:
      throw new HakoError(`unknown command "${command}" (see hako --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof HakoError) {
      logError(err.message);
      process.exitCode = err.exitCode;
    } else {
      logError(`internal error: ${(err as Error)?.stack ?? String(err)}`);
      process.exitCode = 2;
    }
  },
);
