// `hako network connect NETWORK CONTAINER`: adds a network (and --alias names on it) to a container
// that is not running; it is attached when the container starts (engine/network-api.ts).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  flags: {
    alias: { type: 'string', multiple: true, value: 'NAME', help: 'another name peers resolve to the container (repeatable)' },
  },
  notes: 'The container must not be running: hako sets its networks up when it starts.',
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
