// `hako system df`: the space images, containers, volumes and the build cache take, and what prune
// would free; -v lists each (docker's verbose tables, df-verbose.ts).
import { HakoError } from '../../../util/errors.js';
import { humanSize, renderTemplate, table } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import { engineOf, formatRows, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    verbose: { type: 'boolean', short: 'v', help: 'each image, container, volume and build cache entry, as docker' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Type}}, {{.Size}}, {{.Reclaimable}}, …); not with -v' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako system df" accepts no arguments');
    const e = engineOf(ctx);
    const { buildCacheUsage } = await import('../../../build/cache.js');
    const cache = buildCacheUsage(e.images);
    if (v.verbose) {
      if (v.format !== undefined) throw new HakoError('"hako system df": --format and -v cannot be combined');
      const { verboseDf } = await import('./df-verbose.js');
      process.stdout.write(await verboseDf(e, cache));
      return 0;
    }
    const { systemDf } = await import('../../../engine/df.js');
    const cacheSize = cache.reduce((n, c) => n + c.size, 0);
    const cacheRow = {
      Type: 'Build Cache',
      TotalCount: cache.length,
      Active: 0,
      Size: cacheSize,
      Reclaimable: cache.filter((c) => !c.shared).reduce((n, c) => n + c.size, 0),
    };
    const rows = [...(await systemDf(e)), cacheRow].map((r) => ({
      Type: r.Type,
      TotalCount: r.TotalCount,
      Active: r.Active,
      Size: humanSize(r.Size),
      Reclaimable: `${humanSize(r.Reclaimable)}${r.Size ? ` (${Math.round((100 * r.Reclaimable) / r.Size)}%)` : ''}`,
    }));
    process.stdout.write(
      formatRows(v.format as string | undefined, rows, renderTemplate, () =>
        table([
          ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
          ...rows.map((r) => [r.Type, String(r.TotalCount), String(r.Active), r.Size, r.Reclaimable]),
        ]),
      ),
    );
    return 0;
  },
};
export default command;
