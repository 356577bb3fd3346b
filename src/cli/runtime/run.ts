// `hako runtime run`: create + start; in the foreground, the exit status is the process's.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { createFlags, one, preservedFds, type RuntimeContext, printWarning } from './common.js';

const command: Command<RuntimeContext> = {
  usage: '[FLAGS] ID',
  flags: {
    ...createFlags,
    detach: { type: 'boolean', short: 'd', help: 'return once started' },
    keep: { type: 'boolean', help: "keep the stopped container's state (delete it later)" },
  },
  notes: "In the foreground, the exit status is the container process's.",
  async run(ctx, { values, positionals }, name) {
    return new Runtime({ root: ctx.root, onWarning: printWarning, systemdCgroup: ctx.systemdCgroup }).run(one(positionals, name), {
      bundle: values.bundle as string,
      pidFile: values['pid-file'] as string | undefined,
      consoleSocket: values['console-socket'] as string | undefined,
      detach: values.detach as boolean,
      keep: values.keep as boolean,
      preserveFds: preservedFds(values, name),
    });
  },
};
export default command;
