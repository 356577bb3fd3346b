// `hako container prune`: removes every stopped container.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { PRUNE_FLAGS, confirm, deletedSection, reclaimed } from '../prune-output.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: PRUNE_FLAGS,
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako container prune" accepts no arguments');
    const { parsePruneFilters, pruneContainers } = await import('../../../engine/prune.js');
    const filters = parsePruneFilters((v.filter as string[] | undefined) ?? []);
    if (!(await confirm('This will remove all stopped containers.', Boolean(v.force)))) return 0;
    const r = await pruneContainers(engineOf(ctx), filters);
    process.stdout.write(deletedSection('Containers', r.deleted) + reclaimed(r.bytes));
    return 0;
  },
};
export default command;
