// `hako logout [SERVER]`: forgets the registry's credentials in hako's auth file.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import type { EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[SERVER]',
  flags: {},
  async run(_ctx, { positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako logout" requires at most 1 argument: [SERVER]');
    const { logout } = await import('../../image/login.js');
    const { domain, removed } = logout(positionals[0]);
    process.stdout.write(removed ? `Removing login credentials for ${domain}\n` : `Not logged in to ${domain}\n`);
    return 0;
  },
};
export default command;
