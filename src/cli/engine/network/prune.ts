// `hako network prune`: removes every network no container is attached to (not the default one).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { confirm, deletedSection } from '../prune-output.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { force: { type: 'boolean', short: 'f', help: 'do not ask for confirmation' } },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako network prune" accepts no arguments');
    const { pruneNetworks } = await import('../../../engine/prune.js');
    if (!(await confirm('This will remove all custom networks not used by at least one container.', Boolean(v.force)))) return 0;
    process.stdout.write(deletedSection('Networks', await pruneNetworks(engineOf(ctx))));
    return 0;
  },
};
export default command;
