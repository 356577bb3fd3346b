// `hako restart [-t N] CONTAINER...`: stop (SIGTERM, SIGKILL after N seconds), then start.
import { EngineError } from '../../engine/exit-codes.js';
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: { time: { type: 'string', short: 't', value: 'SECONDS', help: "seconds to wait for the stop before SIGKILL (default: the container's, 10)" } },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    let t: number | undefined;
    if (v.time !== undefined) {
      if (!/^-?\d+$/.test(v.time as string)) throw new EngineError(`invalid argument "${v.time}" for "--time" flag: expected seconds`);
      t = Number(v.time);
    }
    const { restartContainer } = await import('../../engine/lifecycle.js');
    const e = engineOf(ctx);
    return each(positionals, async (ref) => {
      await restartContainer(e, ref, t);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
