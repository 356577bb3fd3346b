// `hako create`: a container made as `run` makes it, not started; prints its ID.
import { parseRunArgs } from '../../engine/flags.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';
import { runFlags } from './run-flags.js';
import { prepareCreate } from './cidfile.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: runFlags(),
  rawArgs: true,
  async run(ctx, { positionals: args }, name) {
    const opts = parseRunArgs(args, name);
    opts.detach = true;
    const writeId = prepareCreate(opts);
    const cfg = await engineOf(ctx).create(opts);
    writeId(cfg.id);
    process.stdout.write(`${cfg.id}\n`);
    return 0;
  },
};
export default command;
