// `hako restore [--import F] [--name NEW] [--keep] [CONTAINER...]`: podman's `container restore`:
// a checkpointed container running again from its images, or a new one from an exported archive.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { each, engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER... | --import FILE [--name NAME]',
  flags: {
    import: { type: 'string', short: 'i', value: 'FILE', help: 'restore a new container from a checkpoint --export archive' },
    name: { type: 'string', short: 'n', value: 'NAME', help: 'the new container’s name (with --import)' },
    keep: { type: 'boolean', short: 'k', help: 'keep the checkpoint images and criu’s logs after the restore' },
  },
  async run(ctx, { values, positionals }, name) {
    const { restoreContainer } = await import('../../engine/checkpoint.js');
    const e = engineOf(ctx);
    const opts = { import: values.import as string | undefined, name: values.name as string | undefined, keep: !!values.keep };
    if (opts.import) {
      if (positionals.length) throw new HakoError(`"hako ${name} --import" takes no container argument`);
      process.stdout.write(`${await restoreContainer(e, undefined, opts)}\n`);
      return 0;
    }
    if (!positionals.length) throw new HakoError(`"hako ${name}" requires at least 1 argument (or --import FILE)`);
    return each(positionals, async (ref) => {
      await restoreContainer(e, ref, opts);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
