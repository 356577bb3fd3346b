// `hako pod create [--name N] [-p …] [--network …] [--hostname H] [--label K=V]`: a pod and its
// infra container (created; it starts with the pod or its first container), as podman's.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import type { EngineContext } from '../common.js';
import { keyValues } from '../volume/labels.js';
import { podsOf } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [NAME]',
  flags: {
    name: { type: 'string', short: 'n', value: 'NAME', help: 'the pod name (default: a random one)' },
    publish: { type: 'string', short: 'p', multiple: true, value: '[IP:][HOST:]PORT[/PROTO]', help: 'publish a port of the pod (repeatable)' },
    network: { type: 'string', value: 'NETWORK', help: 'the network of the pod (default: bridge)' },
    hostname: { type: 'string', value: 'NAME', help: 'the host name of the pod (default: its name)' },
    label: { type: 'string', short: 'l', multiple: true, value: 'KEY=VALUE', help: 'a label (repeatable)' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako pod create" requires at most 1 argument: [NAME]');
    if (positionals[0] && v.name && positionals[0] !== v.name)
      throw new HakoError('conflicting options: either specify --name or provide positional arg, not both');
    const pod = await podsOf(ctx).create({
      name: (v.name as string | undefined) ?? positionals[0],
      publish: (v.publish as string[] | undefined) ?? [],
      network: v.network as string | undefined,
      hostname: v.hostname as string | undefined,
      labels: keyValues('--label', v.label),
    });
    process.stdout.write(`${pod.id}\n`);
    return 0;
  },
};
export default command;
