// `hako stop`: the stop signal, then SIGKILL after the timeout.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    time: { type: 'string', short: 't', value: 'SECONDS', help: "seconds to wait before killing (default: the container's --stop-timeout, else 10)" },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    let t: number | undefined;
    if (v.time !== undefined) {
      if (!/^-?\d+$/.test(v.time as string)) throw new HakoError(`invalid argument "${v.time}" for "--time" flag: expected seconds`);
      t = Number(v.time);
    }
    return each(positionals, async (ref) => {
      await engineOf(ctx).stop(ref, t);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
