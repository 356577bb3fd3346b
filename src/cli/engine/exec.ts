// `hako exec`: a command in a running container. Flags end at the container: `exec c sh -c …`.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  flags: {
    interactive: { type: 'boolean', short: 'i', help: 'keep stdin open' },
    tty: { type: 'boolean', short: 't', help: 'allocate a pseudo-terminal' },
    detach: { type: 'boolean', short: 'd', help: 'run the command in the background' },
    env: { type: 'string', short: 'e', multiple: true, value: 'K=V', help: 'set an environment variable (repeatable)' },
    'env-file': { type: 'string', multiple: true, value: 'FILE', help: 'read environment variables from FILE (repeatable; -e wins)' },
    user: { type: 'string', short: 'u', value: 'USER[:GROUP]', help: 'user name or uid, and group' },
    workdir: { type: 'string', short: 'w', value: 'DIR', help: 'working directory inside the container' },
    privileged: { type: 'boolean', help: 'every capability for the command' },
  },
  flagsEndAtArgument: true,
  async run(ctx, { values: v, positionals }) {
    const [ref, ...cmd] = positionals;
    if (!ref || !cmd.length) throw new HakoError('"hako exec" requires at least 2 arguments: CONTAINER COMMAND [ARG...]');
    if (v.tty && !process.stdin.isTTY) throw new HakoError('exec: the input device is not a TTY (drop -t)');
    const { readEnvFile } = await import('../../engine/flags.js');
    const fromFiles = ((v['env-file'] as string[] | undefined) ?? []).flatMap((f) => readEnvFile(f));
    return engineOf(ctx).exec(ref, {
      command: cmd,
      interactive: Boolean(v.interactive),
      tty: Boolean(v.tty),
      detach: Boolean(v.detach),
      env: [...fromFiles, ...((v.env as string[] | undefined) ?? [])],
      user: v.user as string | undefined,
      workdir: v.workdir as string | undefined,
      privileged: Boolean(v.privileged),
    });
  },
};
export default command;
