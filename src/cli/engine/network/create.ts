// `hako network create`: a bridge network with its own subnet.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { keyValues } from '../volume/labels.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NAME',
  flags: {
    subnet: { type: 'string', multiple: true, value: 'CIDR', help: 'the subnet, IPv4 and/or IPv6 with --ipv6 (default: a free one from the pool)' },
    gateway: { type: 'string', multiple: true, value: 'IP', help: "the bridge's address, per family (default: the subnet's first host)" },
    ipv6: { type: 'boolean', help: 'dual stack: an IPv6 subnet too (default: a free /64 of fd68:616b:6f00::/48)' },
    bridge: { type: 'string', value: 'IFNAME', help: "the bridge interface's name" },
    driver: { type: 'string', short: 'd', value: 'DRIVER', help: "bridge (hako's own, the default) or cni (the CNI plugins run as they are)" },
    label: { type: 'string', multiple: true, value: 'KEY=VALUE', help: "metadata on the network (shown by inspect, matched by ls's label= filter)" },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako network create" requires exactly 1 argument: NAME');
    if (v.driver !== undefined && v.driver !== 'bridge' && v.driver !== 'cni')
      throw new HakoError(`network create: driver "${v.driver}" is not supported (bridge, or cni: the CNI plugins)`);
    const subnets = byFamily('subnet', (v.subnet as string[] | undefined) ?? []);
    const gateways = byFamily('gateway', (v.gateway as string[] | undefined) ?? []);
    const info = await engineOf(ctx).networks.store.create(positionals[0], {
      subnet: subnets.v4,
      gateway: gateways.v4,
      subnet6: subnets.v6,
      gateway6: gateways.v6,
      ipv6: Boolean(v.ipv6),
      bridge: v.bridge as string | undefined,
      driver: v.driver as 'bridge' | 'cni' | undefined,
      labels: keyValues('--label', v.label),
    });
    const { recordEvent } = await import('../../../engine/events.js');
    recordEvent(engineOf(ctx).root, 'network', 'create', info.id, { name: info.name, type: info.driver });
    process.stdout.write(`${info.name}\n`);
    return 0;
  },
};

/** Repeated --subnet/--gateway: at most one of each address family (IPv6 ones contain ':'). */
function byFamily(flag: string, values: string[]): { v4?: string; v6?: string } {
  const v6 = values.filter((x) => x.includes(':'));
  const v4 = values.filter((x) => !x.includes(':'));
  if (v4.length > 1 || v6.length > 1) throw new HakoError(`--${flag}: at most one IPv4 and one IPv6 ${flag} (got ${values.join(', ')})`);
  return { v4: v4[0], v6: v6[0] };
}

export default command;
