// `hako volume ls`: the volumes as a table, names (-q), JSON lines or a --format template.
import { HakoError } from '../../../util/errors.js';
import { renderTemplate, table } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import { engineOf, formatRows, type EngineContext } from '../common.js';
import { volumeFilter } from './labels.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'names only' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Name}}, {{.Mountpoint}}, …)' },
    filter: { type: 'string', short: 'f', multiple: true, value: 'FILTER', help: 'dangling=true|false, name=PART, label=KEY[=VALUE], driver=local' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError(`"hako volume ls" accepts no arguments (got "${positionals[0]}")`);
    const { VolumeStore, volumeUsers } = await import('../../../engine/volumes.js');
    const e = engineOf(ctx);
    const containers = (await e.list()).map((c) => c.config);
    const keep = volumeFilter((v.filter as string[] | undefined) ?? [], (name) => volumeUsers(name, containers).length > 0);
    const rows = new VolumeStore(e.root)
      .list()
      .filter(keep)
      .map((x) => ({
        ...x,
        Labels: Object.entries(x.Labels)
          .map(([k, val]) => `${k}=${val}`)
          .join(','),
      }));
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
    else
      process.stdout.write(
        formatRows(v.format as string | undefined, rows, renderTemplate, () => table([['DRIVER', 'VOLUME NAME'], ...rows.map((r) => [r.Driver, r.Name])])),
      );
    return 0;
  },
};
export default command;
