// `hako run`: create and start a container; in the foreground, its exit status is the container's.
import { HakoError } from '../../util/errors.js';
import { trace } from '../../util/trace.js';
import { parseRunArgs } from '../../engine/flags.js';
import { runFailure } from '../../engine/exit-codes.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';
import { runFlags } from './run-flags.js';
import { prepareCreate } from './cidfile.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: runFlags(),
  rawArgs: true,
  async run(ctx, { positionals: args }, name) {
    trace('engine cli');
    const opts = parseRunArgs(args, name);
    if (opts.tty && !opts.detach && !process.stdin.isTTY) throw new HakoError('the input device is not a TTY (drop -t, or run from a terminal)');
    const writeId = prepareCreate(opts);
    let engine: ReturnType<typeof engineOf>;
    try {
      engine = engineOf(ctx); // a refused state directory is the engine failing: 125, as docker's run
    } catch (e) {
      throw runFailure(e);
    }
    return engine.run(opts, (cfg) => {
      writeId(cfg.id);
      if (opts.detach) process.stdout.write(`${cfg.id}\n`);
    });
  },
};
export default command;
