// `hako restart [-s SIG] [-t N] CONTAINER...`: stop (the signal, SIGKILL after N seconds), then start.
import type { Command } from '../command.js';
import { each, engineOf, need, stopTimeout, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    signal: {
      type: 'string',
      short: 's',
      value: 'SIGNAL',
      help: "the signal to stop with: a name or number (default: the container's --stop-signal, else SIGTERM)",
    },
    time: { type: 'string', short: 't', value: 'SECONDS', help: "seconds to wait for the stop before SIGKILL (default: the container's, 10)" },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const t = stopTimeout(v.time as string | undefined);
    const { restartContainer } = await import('../../engine/lifecycle.js');
    const e = engineOf(ctx);
    return each(positionals, async (ref) => {
      await restartContainer(e, ref, t, v.signal as string | undefined);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
