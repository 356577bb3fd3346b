// `hako volume rm [-f] VOLUME...`: removes volumes no container uses (-f: a missing one is fine).
import type { Command } from '../../command.js';
import { each, engineOf, need, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] VOLUME...',
  flags: { force: { type: 'boolean', short: 'f', help: 'no error for a volume that does not exist' } },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const { VolumeStore, volumeUsers } = await import('../../../engine/volumes.js');
    const e = engineOf(ctx);
    const volumes = new VolumeStore(e.root);
    const containers = (await e.list()).map((c) => c.config);
    return each(positionals, async (ref) => {
      if (v.force && !volumes.exists(ref)) return;
      volumes.remove(ref, volumeUsers(ref, containers));
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
