// `hako volume create [--label K=V] [NAME]`: a named volume (a random name without one).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { keyValues } from './labels.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [NAME]',
  flags: {
    driver: { type: 'string', short: 'd', value: 'DRIVER', help: 'only local (a directory under the root)' },
    label: { type: 'string', short: 'l', multiple: true, value: 'KEY=VALUE', help: 'a label (repeatable)' },
    opt: { type: 'string', short: 'o', multiple: true, value: 'KEY=VALUE', help: 'driver options: none for the local driver' },
    name: { type: 'string', value: 'NAME', help: 'the name, instead of the argument' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako volume create" requires at most 1 argument: [NAME]');
    if (positionals[0] && v.name && positionals[0] !== v.name)
      throw new HakoError(`conflicting options: either specify --name or provide positional arg, not both`);
    const { VolumeStore } = await import('../../../engine/volumes.js');
    const volume = new VolumeStore(engineOf(ctx).root).create((v.name as string | undefined) ?? positionals[0], {
      driver: v.driver as string | undefined,
      labels: keyValues('--label', v.label),
      options: keyValues('--opt', v.opt),
    });
    process.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};
export default command;
