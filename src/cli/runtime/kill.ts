// `hako runtime kill ID [SIGNAL]`.
import { HakoError } from '../../util/errors.js';
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import type { RuntimeContext } from './common.js';

const command: Command<RuntimeContext> = {
  usage: '[--all] ID [SIGNAL]',
  flags: {
    all: { type: 'boolean', short: 'a', help: 'signal every process of the container' },
  },
  notes: 'SIGNAL: a name (TERM, SIGKILL) or a number; default SIGTERM.',
  async run(ctx, { values, positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new HakoError('kill: expects ID [SIGNAL]');
    await new Runtime({ root: ctx.root }).kill(positionals[0], positionals[1] ?? 'SIGTERM', { all: values.all as boolean });
    return 0;
  },
};
export default command;
