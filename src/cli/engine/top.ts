// `hako top`: the container's processes, as ps(1) sees them.
import { HakoError } from '../../util/errors.js';
import { table } from '../../engine/format.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'CONTAINER',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako top" requires exactly 1 argument: CONTAINER');
    process.stdout.write(table(await engineOf(ctx).top(positionals[0])));
    return 0;
  },
};
export default command;
