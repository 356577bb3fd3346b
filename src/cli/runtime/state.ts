// `hako runtime state`: the OCI state as JSON, with runc's rootfs, created and owner.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { one, type RuntimeContext } from './common.js';
import { writeOut } from '../../util/stdio.js';

const command: Command<RuntimeContext> = {
  usage: 'ID',
  flags: {},
  async run(ctx, { positionals }, name) {
    const state = await new Runtime({ root: ctx.root }).runcState(one(positionals, name));
    writeOut(`${JSON.stringify(state, null, 2)}\n`);
    return 0;
  },
};
export default command;
