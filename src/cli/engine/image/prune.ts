// `hako image prune [-a]`: removes dangling images (-a: every image no container uses).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { PRUNE_FLAGS, confirm, deletedSection, reclaimed } from '../prune-output.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { all: { type: 'boolean', short: 'a', help: 'every image no container uses, not only dangling ones' }, ...PRUNE_FLAGS },
  notes: 'Dangling: stored by digest only, without a tag.',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako image prune" accepts no arguments');
    const { parsePruneFilters, pruneImages } = await import('../../../engine/prune.js');
    const filters = parsePruneFilters((v.filter as string[] | undefined) ?? []);
    const what = v.all ? 'all images without at least one container associated to them' : 'all dangling images';
    if (!(await confirm(`This will remove ${what}.`, Boolean(v.force)))) return 0;
    const r = await pruneImages(engineOf(ctx), { all: Boolean(v.all), filters });
    const lines = [...r.untagged.map((u) => `untagged: ${u}`), ...r.deleted.map((d) => `deleted: ${d}`)];
    process.stdout.write(deletedSection('Images', lines) + reclaimed(r.bytes));
    return 0;
  },
};
export default command;
