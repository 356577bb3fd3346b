// `hako pod start POD…`: the infra container, then every container of the pod.
import type { Command } from '../../command.js';
import { each, need, type EngineContext } from '../common.js';
import { podsOf } from './common.js';

const command: Command<EngineContext> = {
  usage: 'POD...',
  flags: {},
  async run(ctx, { positionals }, name) {
    need(positionals, name);
    const pods = podsOf(ctx);
    return each(positionals, async (ref) => {
      const pod = pods.resolve(ref);
      await pods.start(pod);
      process.stdout.write(`${pod.id}\n`);
    });
  },
};
export default command;
