// `hako network connect NETWORK CONTAINER`: adds a network (and --alias names on it) to a container:
// at once when it runs, else when it starts (engine/network-api.ts).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  flags: {
    alias: { type: 'string', multiple: true, value: 'NAME', help: 'another name peers resolve to the container (repeatable)' },
  },
  notes: 'A running container gets the interface at once; a stopped one when it starts.',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 2) throw new HakoError('"hako network connect" requires exactly 2 arguments: NETWORK CONTAINER');
    const { connectNetwork } = await import('../../../engine/network-api.js');
    const e = engineOf(ctx);
    await connectNetwork(e, positionals[1]!, positionals[0]!, { aliases: (v.alias as string[] | undefined) ?? [] });
    const { recordNetworkEvent } = await import('../../../engine/events.js');
    recordNetworkEvent(e, 'connect', positionals[0]!, positionals[1]!);
    return 0;
  },
};
export default command;
