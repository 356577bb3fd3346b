// `hako runtime resume`: thaws a paused container.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { one, type RuntimeContext, printWarning } from './common.js';

const command: Command<RuntimeContext> = {
  usage: 'ID',
  flags: {},
  async run(ctx, { positionals }, name) {
    await new Runtime({ root: ctx.root, onWarning: printWarning }).resume(one(positionals, name));
    return 0;
  },
};
export default command;
