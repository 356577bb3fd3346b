// `hako network ls`: the networks as a table, names (-q), JSON lines or a --format template;
// docker's --filter (driver, id, label, name, scope, type, dangling) and --no-trunc.
import { HakoError } from '../../../util/errors.js';
import { formatList } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';

// hako's columns (docker's NETWORK ID and SCOPE say little of a single-host engine; its
// subnet and bridge say more), docker's headers for docker's fields.
const NETWORK_TABLE = 'table {{.Name}}\t{{.Driver}}\t{{.Subnet}}\t{{.Gateway}}\t{{.Bridge}}';
const NETWORK_HEADERS = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Subnet: 'SUBNET',
  Gateway: 'GATEWAY',
  Bridge: 'BRIDGE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'names only (as podman; docker prints IDs)' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Name}}, {{.ID}}, {{.Subnet}}, …)' },
    filter: {
      type: 'string',
      short: 'f',
      multiple: true,
      value: 'FILTER',
      help: 'driver=, id=PREFIX, label=KEY[=VALUE], name=PART, scope=local, type=custom|builtin, dangling=true|false',
    },
    'no-trunc': { type: 'boolean', help: 'full network IDs' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError(`"hako network ls" accepts no arguments (got "${positionals[0]}")`);
    const { listNetworkDocuments, parseNetworkFilters } = await import('../../../engine/network-api.js');
    const e = engineOf(ctx);
    const wanted = new Set(listNetworkDocuments(e, parseNetworkFilters((v.filter as string[] | undefined) ?? [])).map((d) => d.Id));
    const rows = (await e.networks.store.list())
      .filter((n) => wanted.has(n.id))
      .map((n) => ({
        ID: v['no-trunc'] ? n.id : n.id.slice(0, 12),
        Name: n.name,
        Driver: n.driver,
        Subnet: n.subnet,
        Gateway: n.gateway,
        Bridge: n.bridge,
        Default: n.isDefault,
        Scope: 'local',
        Internal: false,
        IPv6: !!n.subnet6,
        Labels: Object.entries(n.labels)
          .map(([k, val]) => `${k}=${val}`)
          .join(','),
        CreatedAt: n.created,
      }));
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
    else process.stdout.write(formatList(v.format as string | undefined, rows, { defaultTable: NETWORK_TABLE, headers: NETWORK_HEADERS }));
    return 0;
  },
};
export default command;
