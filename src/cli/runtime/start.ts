// `hako runtime start`: opens the start barrier of a created container.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { one, type RuntimeContext } from './common.js';

const command: Command<RuntimeContext> = {
  usage: 'ID',
  flags: {},
  async run(ctx, { positionals }, name) {
    await new Runtime({ root: ctx.root }).start(one(positionals, name));
    return 0;
  },
};
export default command;
