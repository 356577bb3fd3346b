// `hako wait`: blocks until containers exit; prints each one's exit code.
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'CONTAINER...',
  flags: {},
  async run(ctx, { positionals }, name) {
    need(positionals, name);
    return each(positionals, async (ref) => {
      process.stdout.write(`${await engineOf(ctx).wait(ref)}\n`);
    });
  },
};
export default command;
