// `hako volume prune [-a]`: removes anonymous volumes no container uses (-a: named ones too).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { PRUNE_FLAGS, confirm, deletedSection, reclaimed } from '../prune-output.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { all: { type: 'boolean', short: 'a', help: 'named volumes too, not only anonymous ones' }, ...PRUNE_FLAGS },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako volume prune" accepts no arguments');
    const { parsePruneFilters, pruneVolumes } = await import('../../../engine/prune.js');
    const filters = parsePruneFilters((v.filter as string[] | undefined) ?? []);
    const what = v.all ? 'all local volumes not used by at least one container' : 'all anonymous local volumes not used by at least one container';
    if (!(await confirm(`This will remove ${what}.`, Boolean(v.force)))) return 0;
    const r = await pruneVolumes(engineOf(ctx), { all: Boolean(v.all), filters });
    process.stdout.write(deletedSection('Volumes', r.deleted) + reclaimed(r.bytes));
    return 0;
  },
};
export default command;
