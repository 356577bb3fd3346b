// `hako login [-u USER] [-p PASS | --password-stdin] [SERVER]` and `hako logout [SERVER]`, as
// docker's: the credentials are checked against the registry, then kept in ~/.config/hako/auth.json.
import { HakoError } from '../../util/errors.js';
import { EngineError } from '../../engine/exit-codes.js';
import { parseFlags } from '../../engine/flags.js';
import { promptLine, readStdin } from './prompt.js';

const ROOT = { root: { type: 'string' as const } };

export async function loginCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags('login', args, {
    username: { type: 'string', short: 'u' }, password: { type: 'string', short: 'p' }, 'password-stdin': { type: 'boolean' }, ...ROOT,
  });
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
}

export async function logoutCommand(args: string[]): Promise<number> {
  const { positionals } = parseFlags('logout', args, { ...ROOT });
  if (positionals.length > 1) throw new HakoError('"hako logout" requires at most 1 argument: [SERVER]');
  const { logout } = await import('../../image/login.js');
  const { domain, removed } = logout(positionals[0]);
  process.stdout.write(removed ? `Removing login credentials for ${domain}\n` : `Not logged in to ${domain}\n`);
  return 0;
}
