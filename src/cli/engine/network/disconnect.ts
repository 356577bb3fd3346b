// `hako network disconnect NETWORK CONTAINER`: takes a network off a container, at once when it
// runs (engine/network-api.ts); without networks left it has none, as `--network none`.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: 'NETWORK CONTAINER',
  flags: {},
  notes: 'A running container loses the interface at once.',
  async run(ctx, { positionals }) {
    if (positionals.length !== 2) throw new HakoError('"hako network disconnect" requires exactly 2 arguments: NETWORK CONTAINER');
    const { disconnectNetwork } = await import('../../../engine/network-api.js');
    const e = engineOf(ctx);
    await disconnectNetwork(e, positionals[1]!, positionals[0]!);
    const { recordNetworkEvent } = await import('../../../engine/events.js');
    recordNetworkEvent(e, 'disconnect', positionals[0]!, positionals[1]!);
    return 0;
  },
};
export default command;
