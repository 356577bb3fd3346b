// `hako runtime restore`: a container from a bundle and criu images (runc's flags). In the
// foreground it waits for the restored process and exits with its status, as runc does.
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import { bundleFlag, one, printWarning, type RuntimeContext } from './common.js';
import { criuCommonFlags, criuCommonOptions } from './criu-flags.js';

const command: Command<RuntimeContext> = {
  usage: '[FLAGS] ID',
  flags: {
    ...criuCommonFlags,
    ...bundleFlag,
    detach: { type: 'boolean', short: 'd', help: "detach from the container's process" },
    'pid-file': { type: 'string', value: 'FILE', help: "write the restored process's pid to FILE" },
    'console-socket': { type: 'string', value: 'PATH', help: "send the restored terminal's pty master to this Unix socket" },
    'no-pivot': { type: 'boolean', help: 'accepted for runc compatibility (criu restores the mount namespace)' },
    'no-subreaper': { type: 'boolean', help: 'accepted for runc compatibility (the restored process is our child anyway)' },
  },
  async run(ctx, { values, positionals }, name) {
    return new Runtime({ root: ctx.root, onWarning: printWarning }).restore(one(positionals, name), {
      ...criuCommonOptions(values),
      autoDedup: !!values['auto-dedup'],
      bundle: values.bundle as string,
      detach: !!values.detach,
      pidFile: values['pid-file'] as string | undefined,
      consoleSocket: values['console-socket'] as string | undefined,
      noPivot: !!values['no-pivot'],
    });
  },
};
export default command;
