// `hako kill`: signals containers (default SIGKILL).
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    signal: { type: 'string', short: 's', value: 'SIGNAL', help: 'the signal to send: a name or number (default SIGKILL)' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    return each(positionals, async (ref) => {
      await engineOf(ctx).kill(ref, (v.signal as string) ?? 'SIGKILL', { requested: true });
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
