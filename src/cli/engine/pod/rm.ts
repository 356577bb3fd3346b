// `hako pod rm [-f] POD…`: the pod's containers, its infra container and its record; refused while
// something of it runs unless -f.
import type { Command } from '../../command.js';
import { each, need, type EngineContext } from '../common.js';
import { podsOf } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] POD...',
  flags: {
    force: { type: 'boolean', short: 'f', help: 'stop running containers first (and no error for a missing pod)' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const pods = podsOf(ctx);
    return each(positionals, async (ref) => {
      if (v.force && !pods.list().some((p) => p.name === ref || p.id.startsWith(ref))) return;
      const pod = pods.resolve(ref);
      await pods.remove(pod, Boolean(v.force));
      process.stdout.write(`${pod.id}\n`);
    });
  },
};
export default command;
