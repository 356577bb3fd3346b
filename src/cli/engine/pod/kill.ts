// `hako pod kill [-s SIGNAL] POD…`: signals every running container of the pod (default SIGKILL).
import type { Command } from '../../command.js';
import { each, need, type EngineContext } from '../common.js';
import { podsOf } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] POD...',
  flags: {
    signal: { type: 'string', short: 's', value: 'SIGNAL', help: 'the signal to send: a name or number (default SIGKILL)' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const pods = podsOf(ctx);
    return each(positionals, async (ref) => {
      const pod = pods.resolve(ref);
      await pods.kill(pod, (v.signal as string | undefined) ?? 'SIGKILL');
      process.stdout.write(`${pod.id}\n`);
    });
  },
};
export default command;
