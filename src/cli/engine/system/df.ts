// `hako system df`: the space images, containers and volumes take, and what prune would free.
import { HakoError } from '../../../util/errors.js';
import { humanSize, renderTemplate, table } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import { engineOf, formatRows, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Type}}, {{.Size}}, {{.Reclaimable}}, …)' } },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako system df" accepts no arguments');
    const { systemDf } = await import('../../../engine/df.js');
    const rows = (await systemDf(engineOf(ctx))).map((r) => ({
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
