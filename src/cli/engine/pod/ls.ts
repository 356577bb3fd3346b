// `hako pod ls` (`ps`): pods as podman's table, names/IDs only (-q), or a --format template.
import { HakoError } from '../../../util/errors.js';
import { formatList, humanDuration } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import type { EngineContext } from '../common.js';
import { podsOf } from './common.js';

const POD_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}\t{{.NumberOfContainers}}';
// podman's headers.
const POD_HEADERS = {
  ID: 'POD ID',
  Name: 'NAME',
  Status: 'STATUS',
  Created: 'CREATED',
  InfraID: 'INFRA ID',
  NumberOfContainers: '# OF CONTAINERS',
  Labels: 'LABELS',
  Networks: 'NETWORKS',
};

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'IDs only' },
    'no-trunc': { type: 'boolean', help: 'full IDs' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Name}}, {{.Status}}, {{.NumberOfContainers}}, …)' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError(`"hako pod ls" accepts no arguments (got "${positionals[0]}")`);
    const pods = podsOf(ctx);
    const cut = (id: string) => (v['no-trunc'] ? id : id.slice(0, 12));
    const rows = [];
    for (const p of pods.list()) {
      rows.push({
        ID: cut(p.id),
        Name: p.name,
        Status: await pods.status(p),
        Created: `${humanDuration(Date.now() - Date.parse(p.created))} ago`,
        CreatedAt: p.created,
        InfraID: cut(p.infraId),
        NumberOfContainers: (await pods.members(p)).length + 1,
        Labels: p.labels,
        Networks: p.network || 'bridge',
      });
    }
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    else process.stdout.write(formatList(v.format as string | undefined, rows, { defaultTable: POD_TABLE, headers: POD_HEADERS }));
    return 0;
  },
};
export default command;
