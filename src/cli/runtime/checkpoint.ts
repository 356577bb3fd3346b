// `hako runtime checkpoint`: the running container to criu images (runc's flags); the container
// is gone afterwards unless --leave-running or --pre-dump.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { one, printWarning, type RuntimeContext } from './common.js';
import { criuCommonFlags, criuCommonOptions } from './criu-flags.js';

const command: Command<RuntimeContext> = {
  usage: '[FLAGS] ID',
  flags: {
    ...criuCommonFlags,
    'parent-path': { type: 'string', value: 'DIR', help: 'a previous pre-dump, relative to --image-path' },
    'leave-running': { type: 'boolean', help: 'leave the process running after checkpointing' },
    'pre-dump': { type: 'boolean', help: 'dump the memory only, and leave the container running' },
    'tcp-skip-in-flight': { type: 'boolean', help: 'skip in-flight TCP connections' },
    'link-remap': { type: 'boolean', help: 'link unlinked files back when possible' },
  },
  async run(ctx, { values, positionals }, name) {
    await new Runtime({ root: ctx.root, onWarning: printWarning }).checkpoint(one(positionals, name), {
      ...criuCommonOptions(values),
      parentPath: values['parent-path'] as string | undefined,
      leaveRunning: !!values['leave-running'],
      preDump: !!values['pre-dump'],
      tcpSkipInFlight: !!values['tcp-skip-in-flight'],
      linkRemap: !!values['link-remap'],
      autoDedup: !!values['auto-dedup'],
    });
    return 0;
  },
};
export default command;
