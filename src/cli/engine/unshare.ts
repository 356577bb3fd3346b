// `hako unshare [COMMAND [ARG...]]` (podman's): a command in the user's shared user namespace, as
// its root, where the store's files owned by subordinate ids are the user's to read, chown and
// remove. Rootless only; the command's exit status is ours.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import type { EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[COMMAND [ARG...]]',
  flags: {},
  flagsEndAtArgument: true,
  notes: 'Without a command, $SHELL (else /bin/sh). Only for an ordinary user: root has no such namespace.',
  async run(_ctx, { positionals }) {
    if (process.geteuid?.() === 0) throw new HakoError('"hako unshare" is for rootless users (root is already root)');
    const { sharedUserns } = await import('../../engine/rootless.js');
    const { execInUserns } = await import('../../native/modes.js');
    const argv = positionals.length ? positionals : [process.env.SHELL || '/bin/sh'];
    return execInUserns(await sharedUserns(), argv);
  },
};
export default command;
