// `hako pod prune [-f]`: removes every pod with nothing running, with its containers (podman's
// output: the IDs removed).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import type { EngineContext } from '../common.js';
import { confirm } from '../prune-output.js';
import { podsOf } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { force: { type: 'boolean', short: 'f', help: 'do not ask for confirmation' } },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako pod prune" accepts no arguments');
    if (!(await confirm('This will remove all stopped pods and their containers.', Boolean(v.force)))) return 0;
    const pods = podsOf(ctx);
    for (const pod of pods.list()) {
      const status = await pods.status(pod);
      if (status === 'Running' || status === 'Degraded') continue;
      await pods.remove(pod);
      process.stdout.write(`${pod.id}\n`);
    }
    return 0;
  },
};
export default command;
