// `hako runtime delete`: removes a stopped container (with --force, any).
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { one, type RuntimeContext } from './common.js';

const command: Command<RuntimeContext> = {
  usage: '[--force] ID',
  flags: {
    force: { type: 'boolean', short: 'f', help: 'kill a running or paused container first; a missing one is no error' },
  },
  async run(ctx, { values, positionals }, name) {
    await new Runtime({ root: ctx.root }).delete(one(positionals, name), { force: values.force as boolean });
    return 0;
  },
};
export default command;
