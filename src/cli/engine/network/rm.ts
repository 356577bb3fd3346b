// `hako network rm`: removes networks, refused while a container uses one.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { each, engineOf, need, type EngineContext } from '../common.js';
import { usersOf } from './users.js';

const command: Command<EngineContext> = {
  usage: 'NAME...',
  flags: {},
  async run(ctx, { positionals }, name) {
    need(positionals, name);
    const e = engineOf(ctx);
    await e.reapNetworks(); // leases of containers that died unseen must not block the removal
    return each(positionals, async (ref) => {
      const users = usersOf(e, ref === 'bridge' ? 'hako' : ref);
      if (users.length) {
        const names = users.map((u) => u.name || u.containerId.slice(0, 12)).join(', ');
        throw new HakoError(`network "${ref}" is in use by container${users.length > 1 ? 's' : ''} ${names}: remove them first`);
      }
      const info = e.networks.store.inspect(ref);
      await e.networks.store.remove(ref);
      const { recordEvent } = await import('../../../engine/events.js');
      recordEvent(e.root, 'network', 'destroy', info.id, { name: info.name, type: info.driver });
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
