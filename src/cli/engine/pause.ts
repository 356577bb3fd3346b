// `hako pause CONTAINER...` and (as unpause.ts) `hako unpause`: the cgroup freezer.
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

export function freezeCommand(thaw: boolean): Command<EngineContext> {
  return {
    usage: 'CONTAINER...',
    flags: {},
    async run(ctx, { positionals }, name) {
      need(positionals, name);
      const { pauseContainer, unpauseContainer } = await import('../../engine/lifecycle.js');
      const e = engineOf(ctx);
      return each(positionals, async (ref) => {
        await (thaw ? unpauseContainer : pauseContainer)(e, ref);
        process.stdout.write(`${ref}\n`);
      });
    },
  };
}

export default freezeCommand(false);
