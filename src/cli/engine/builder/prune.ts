// `hako builder prune [-a] [-f] [--filter until=…]`: removes build cache entries (build/cache.ts)
// and the layers only they held, as docker's: dangling entries (a layer no image has) unless -a.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { confirm, deletedSection, reclaimed } from '../prune-output.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    all: { type: 'boolean', short: 'a', help: 'every cache entry, not only dangling ones' },
    force: { type: 'boolean', short: 'f', help: 'do not ask for confirmation' },
    filter: { type: 'string', multiple: true, value: 'FILTER', help: 'until=DURATION|TIMESTAMP: only entries last used before then' },
  },
  notes: 'Dangling: an entry whose layer no stored image has (or that can no longer be used).',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako builder prune" accepts no arguments');
    const { parsePruneFilters } = await import('../../../engine/prune.js');
    const filters = parsePruneFilters((v.filter as string[] | undefined) ?? []);
    if (filters.labels.length) throw new HakoError('invalid filter: builder prune takes until=… (cache entries have no labels)');
    const what = v.all ? 'all build cache' : 'all dangling build cache';
    if (!(await confirm(`This will remove ${what}.`, Boolean(v.force)))) return 0;
    const { pruneBuildCache } = await import('../../../build/cache.js');
    const r = pruneBuildCache(engineOf(ctx).images, { all: Boolean(v.all), until: filters.until });
    process.stdout.write(
      deletedSection(
        'build cache objects',
        r.removed.map((k) => k.slice(0, 25)),
      ) + reclaimed(r.bytes),
    );
    return 0;
  },
};
export default command;
