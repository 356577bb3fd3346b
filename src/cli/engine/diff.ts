// `hako diff CONTAINER`: what the container added (A), changed (C) and deleted (D) in its image.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'CONTAINER',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako diff" requires exactly 1 argument: CONTAINER');
    const { containerChanges } = await import('../../engine/changes.js');
    const e = engineOf(ctx);
    const changes = await containerChanges(e.store.containerDir(e.store.resolve(positionals[0])));
    process.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    return 0;
  },
};
export default command;
