// `hako volume ls`: the volumes as a table, names (-q), JSON lines or a --format template.
import { HakoError } from '../../../util/errors.js';
import { formatList } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { volumeFilter } from './labels.js';

// docker's VolumeContext headers.
const VOLUME_HEADERS = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Size: 'SIZE',
  CreatedAt: 'CREATED AT',
};

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
    else process.stdout.write(formatList(v.format as string | undefined, rows, { defaultTable: 'table {{.Driver}}\t{{.Name}}', headers: VOLUME_HEADERS }));
    return 0;
  },
};
export default command;
