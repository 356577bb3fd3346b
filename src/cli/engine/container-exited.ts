// `hako container-exited ID`: conmon's exit command (restart policy, network, --rm). It never fails
// loudly: nobody reads its output.
import { logError } from '../../util/log.js';
import { oneLine } from '../errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'ID',
  flags: {},
  rawArgs: true,
  async run(ctx, { positionals }) {
    const id = positionals[0];
    if (id)
      await engineOf(ctx)
        .containerExited(id)
        .catch((e: Error) => logError(oneLine(e.message)));
    return 0;
  },
};
export default command;
