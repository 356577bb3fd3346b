// `hako rm`: removes containers (-f: running ones too).
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    force: { type: 'boolean', short: 'f', help: 'kill a running container first' },
    volumes: { type: 'boolean', short: 'v', help: 'remove its anonymous volumes too' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    return each(positionals, async (ref) => {
      await engineOf(ctx).remove(ref, { force: Boolean(v.force), volumes: Boolean(v.volumes) });
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
