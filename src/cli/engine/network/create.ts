// `hako network create`: a bridge network with its own subnet.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NAME',
  flags: {
    subnet: { type: 'string', value: 'CIDR', help: 'the subnet (default: a free one from the pool)' },
    gateway: { type: 'string', value: 'IP', help: "the bridge's address (default: the subnet's first host)" },
    bridge: { type: 'string', value: 'IFNAME', help: "the bridge interface's name" },
    driver: { type: 'string', short: 'd', value: 'DRIVER', help: "bridge (hako's own, the default) or cni (the CNI plugins run as they are)" },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako network create" requires exactly 1 argument: NAME');
    if (v.driver !== undefined && v.driver !== 'bridge' && v.driver !== 'cni')
      throw new HakoError(`network create: driver "${v.driver}" is not supported (bridge, or cni: the CNI plugins)`);
    const info = await engineOf(ctx).networks.store.create(positionals[0], {
      subnet: v.subnet as string | undefined,
      gateway: v.gateway as string | undefined,
      bridge: v.bridge as string | undefined,
      driver: v.driver as 'bridge' | 'cni' | undefined,
    });
    const { recordEvent } = await import('../../../engine/events.js');
    recordEvent(engineOf(ctx).root, 'network', 'create', info.id, { name: info.name, type: info.driver });
    process.stdout.write(`${info.name}\n`);
    return 0;
  },
};
export default command;
