// `hako pod restart [-t SECONDS] POD…`: stop, then start (the infra container first).
import type { Command } from '../../command.js';
import { each, need, type EngineContext } from '../common.js';
import { podsOf } from './common.js';
import { stopTimeout } from './stop.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] POD...',
  flags: {
    time: { type: 'string', short: 't', value: 'SECONDS', help: 'seconds to wait before killing' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const t = stopTimeout(v.time);
    const pods = podsOf(ctx);
    return each(positionals, async (ref) => {
      const pod = pods.resolve(ref);
      await pods.stop(pod, t);
      await pods.start(pods.resolve(pod.id));
      process.stdout.write(`${pod.id}\n`);
    });
  },
};
export default command;
