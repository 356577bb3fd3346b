// `hako stop`: the stop signal (docker 23's -s/--signal, else the container's), then SIGKILL after the timeout.
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
    time: { type: 'string', short: 't', value: 'SECONDS', help: "seconds to wait before killing (default: the container's --stop-timeout, else 10)" },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const t = stopTimeout(v.time as string | undefined);
    return each(positionals, async (ref) => {
      await engineOf(ctx).stop(ref, t, v.signal as string | undefined);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
