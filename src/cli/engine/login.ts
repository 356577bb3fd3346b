// `hako login [-u USER] [-p PASS | --password-stdin] [SERVER]`, as docker's: the credentials are
// checked against the registry, then kept in ~/.config/hako/auth.json (never printed).
import { HakoError } from '../../util/errors.js';
import { EngineError } from '../../engine/exit-codes.js';
import type { Command } from '../command.js';
import type { EngineContext } from './common.js';
import { promptLine, readStdin } from './prompt.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [SERVER]',
  flags: {
    username: { type: 'string', short: 'u', value: 'USER', help: 'user name (else asked on the terminal)' },
    password: { type: 'string', short: 'p', value: 'PASSWORD', help: 'password (visible to other users: prefer --password-stdin)' },
    'password-stdin': { type: 'boolean', help: 'read the password from stdin' },
  },
  notes: 'SERVER defaults to docker.io. Credentials go to $REGISTRY_AUTH_FILE or ~/.config/hako/auth.json (mode 0600).',
  async run(_ctx, { values: v, positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako login" requires at most 1 argument: [SERVER]');
    let username = v.username as string | undefined;
    let password = v.password as string | undefined;
    if (v['password-stdin']) {
      if (password !== undefined) throw new EngineError('login: --password and --password-stdin are mutually exclusive');
      if (!username) throw new EngineError('login: must provide --username with --password-stdin');
      password = await readStdin();
    } else if (password !== undefined) {
      process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username) username = (await promptLine('Username: ', false)).trim();
    if (!password) password = await promptLine('Password: ', true);
    const { login } = await import('../../image/login.js');
    await login(positionals[0], { username, password });
    process.stdout.write('Login Succeeded\n');
    return 0;
  },
};
export default command;
