// `hako runtime create`: the container waits at the start barrier when this returns.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { createFlags, one, preservedFds, type RuntimeContext, printWarning } from './common.js';

const command: Command<RuntimeContext> = {
  usage: '[FLAGS] ID',
  flags: createFlags,
  async run(ctx, { values, positionals }, name) {
    await new Runtime({ root: ctx.root, onWarning: printWarning, systemdCgroup: ctx.systemdCgroup }).create(one(positionals, name), {
      bundle: values.bundle as string,
      pidFile: values['pid-file'] as string | undefined,
      consoleSocket: values['console-socket'] as string | undefined,
      preserveFds: preservedFds(values, name),
    });
    return 0;
  },
};
export default command;
