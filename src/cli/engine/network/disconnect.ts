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
    await disconnectNetwork(engineOf(ctx), positionals[1]!, positionals[0]!);
    return 0;
  },
};
export default command;
