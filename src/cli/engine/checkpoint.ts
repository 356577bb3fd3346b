// `hako checkpoint [--export F.tar.gz] [--keep] [--leave-running] CONTAINER...`: podman's
// `container checkpoint`, through the container's OCI runtime and criu.
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    export: { type: 'string', short: 'e', value: 'FILE', help: 'write the checkpoint and the root filesystem changes to FILE (tar.gz)' },
    keep: { type: 'boolean', short: 'k', help: "keep criu's log and statistics files" },
    'leave-running': { type: 'boolean', short: 'R', help: 'leave the container running after the checkpoint' },
  },
  async run(ctx, { values, positionals }, name) {
    need(positionals, name);
    const { checkpointContainer } = await import('../../engine/checkpoint.js');
    const e = engineOf(ctx);
    return each(positionals, async (ref) => {
      await checkpointContainer(e, ref, {
        export: values.export as string | undefined,
        keep: !!values.keep,
        leaveRunning: !!values['leave-running'],
      });
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
