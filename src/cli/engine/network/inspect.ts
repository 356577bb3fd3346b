// `hako network inspect`: networks as docker's JSON (or a --format template each).
import { HakoError } from '../../../util/errors.js';
import { logError } from '../../../util/log.js';
import { renderTemplate } from '../../../engine/format.js';
import type { Engine } from '../../../engine/engine.js';
import { oneLine } from '../../errors.js';
import type { Command } from '../../command.js';
import { engineOf, need, type EngineContext } from '../common.js';
import { usersOf } from './users.js';

async function doc(e: Engine, ref: string): Promise<unknown> {
  const n = await e.networks.store.inspect(ref);
  return {
    Name: n.name,
    Driver: n.driver,
    Default: n.isDefault,
    ConfigFile: n.file ?? '',
    EnableIPv6: !!n.subnet6,
    IPAM: {
      Driver: n.driver === 'cni' ? 'host-local' : 'hako',
      Config: [{ Subnet: n.subnet, Gateway: n.gateway }, ...(n.subnet6 ? [{ Subnet: n.subnet6, Gateway: n.gateway6 }] : [])],
    },
    Options: { 'com.docker.network.bridge.name': n.bridge },
    Containers: Object.fromEntries(
      usersOf(e, n.name).map((u) => [u.containerId, { Name: u.name, IPv4Address: u.ip, ...(u.ip6 ? { IPv6Address: u.ip6 } : {}), Interface: u.ifName }]),
    ),
  };
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NAME...',
  flags: {
    format: { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template for each network ({{.Name}}, {{json .IPAM}})' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const e = engineOf(ctx);
    const docs: unknown[] = [];
    for (const ref of positionals) {
      try {
        docs.push(await doc(e, ref));
      } catch (err) {
        if (!(err instanceof HakoError) || positionals.length === 1) throw err;
        logError(oneLine(err.message));
      }
    }
    if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
    else process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
    return docs.length < positionals.length ? 1 : 0;
  },
};
export default command;
