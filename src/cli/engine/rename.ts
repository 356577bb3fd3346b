// `hako rename CONTAINER NEW_NAME`.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'CONTAINER NEW_NAME',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length !== 2) throw new HakoError('"hako rename" requires exactly 2 arguments: CONTAINER NEW_NAME');
    const { renameContainer } = await import('../../engine/lifecycle.js');
    await renameContainer(engineOf(ctx), positionals[0], positionals[1]);
    return 0;
  },
};
export default command;
