// `hako network ls`: the networks as a table, JSON lines or a --format template.
import { HakoError } from '../../../util/errors.js';
import { renderTemplate, table } from '../../../engine/format.js';
import type { Command } from '../../command.js';
import { engineOf, formatRows, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'names only' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Name}}, {{.Subnet}}, …)' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError(`"hako network ls" accepts no arguments (got "${positionals[0]}")`);
    const rows = (await engineOf(ctx).networks.store.list()).map((n) => ({
      Name: n.name,
      Driver: n.driver,
      Subnet: n.subnet,
      Gateway: n.gateway,
      Bridge: n.bridge,
      Default: n.isDefault,
    }));
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
    else {
      process.stdout.write(
        formatRows(v.format as string | undefined, rows, renderTemplate, () =>
          table([['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE'], ...rows.map((r) => [r.Name, r.Driver, r.Subnet, r.Gateway, r.Bridge])]),
        ),
      );
    }
    return 0;
  },
};
export default command;
