// `hako start`: starts created or exited containers; -a follows one's output to its exit.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    attach: { type: 'boolean', short: 'a', help: "attach the container's output; exit with its status" },
    interactive: { type: 'boolean', short: 'i', help: "attach the container's stdin" },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    if (v.attach) {
      // docker start -a: follow the output until the container exits, and return its code.
      if (positionals.length !== 1) throw new HakoError('start: you cannot start and attach multiple containers at once');
      return engineOf(ctx).startAttached(positionals[0]);
    }
    return each(positionals, async (ref) => {
      await engineOf(ctx).start(ref);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
