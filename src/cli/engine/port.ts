// `hako port CONTAINER [PORT[/PROTO]]`: the container's published ports, as docker prints them.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new HakoError('"hako port" requires 1 or 2 arguments: CONTAINER [PRIVATE_PORT[/PROTO]]');
    const { containerPorts } = await import('../../engine/system-info.js');
    const [ref, which] = positionals;
    const ports = containerPorts(engineOf(ctx), ref, which);
    const host = (p: { hostIP: string; hostPort: number }) => `${p.hostIP.includes(':') ? `[${p.hostIP}]` : p.hostIP || '0.0.0.0'}:${p.hostPort}`;
    if (which) {
      if (!ports.length) throw new HakoError(`no public port '${which.includes('/') ? which : `${which}/tcp`}' published for ${ref}`);
      process.stdout.write(ports.map((p) => `${host(p)}\n`).join(''));
    } else {
      process.stdout.write(ports.map((p) => `${p.containerPort}/${p.protocol} -> ${host(p)}\n`).join(''));
    }
    return 0;
  },
};
export default command;
