// The engine's command line: `hako run|ps|…` with docker's flags and output. A global `--root DIR`
// (or $HAKO_ROOT) may come before the command; every command also takes `--root`. This file lists
// the commands; each is a file of its own, imported when it runs.
import { HakoError } from '../../util/errors.js';
import { parseFlags } from '../../engine/flags.js';
import { findEntry, listCommands, parseArgsOptions, runCommand, type Dispatch, type Entry, type Flags } from '../command.js';
import type { EngineContext } from './common.js';
import { ENGINE_COMMANDS } from './commands.js';
import { writeErr } from '../../util/stdio.js';

export { ENGINE_COMMANDS };

type EngineEntry = Entry<EngineContext>;

export const ENGINE_USAGE = `${listCommands(ENGINE_COMMANDS, 14)}

global: --root DIR (default $HAKO_ROOT or /var/lib/hako; rootless $XDG_DATA_HOME/hako or ~/.local/share/hako)
hako COMMAND --help (or hako help COMMAND) lists the flags of COMMAND.`;

const ROOT: Flags = { root: { type: 'string', value: 'DIR', help: "the engine's store (default $HAKO_ROOT or /var/lib/hako; rootless ~/.local/share/hako)" } };
const DISPATCH: Dispatch<EngineContext> = {
  prog: 'hako',
  extraFlags: ROOT,
  parse: (command, args, flags) => parseFlags(command, args, parseArgsOptions(flags)),
  // `hako rm c1 --root DIR`: a --root among the flags after the arguments counts too.
  adopt: (values, ctx) => {
    if (typeof values.root === 'string') ctx.root = values.root;
  },
};

export async function engineMain(argv: string[]): Promise<number> {
  const ctx: EngineContext = {};
  while (argv[0] === '--root' || argv[0]?.startsWith('--root=')) {
    ctx.root = argv[0].includes('=') ? argv[0].slice(7) : argv[1];
    if (!ctx.root) throw new HakoError('flag needs an argument: --root');
    argv = argv.slice(argv[0].includes('=') ? 1 : 2);
  }
  const [command, ...rest] = argv;
  if (!command) {
    process.stdout.write(`usage: hako COMMAND\n\n${ENGINE_USAGE}\n`);
    return 1;
  }
  if (command === 'help' && rest.length) {
    // docker's `help COMMAND`: that command's --help (for a group, of its command when named).
    const words = findEntry(ENGINE_COMMANDS, rest[0])?.group && rest[1] ? rest.slice(0, 2) : rest.slice(0, 1);
    return engineMain([...words, '--help']);
  }
  const entry = findEntry(ENGINE_COMMANDS, command);
  if (!entry) throw new HakoError(`unknown command "${command}" (see hako --help)`);
  await rootlessStore(command, rest);
  if (entry.group) return group(entry, rest, ctx);
  return runCommand(DISPATCH, entry, command, takeRoot(rest, ctx), ctx);
}

/** Commands that only read the store: no user namespace needed for them when rootless. */
const READ_ONLY = new Set([
  'ps',
  'images',
  'inspect',
  'logs',
  'version',
  'info',
  'events',
  'port',
  'top',
  'stats',
  'wait',
  'login',
  'logout',
  'history',
  'help',
]);

/** Rootless: the store's trees belong to the user's subordinate ids, so the tool modes that unpack
 *  and remove them run in a user namespace mapping them (engine/rootless.ts), started here, before
 *  the command, since those modes are synchronous and the maps are written asynchronously. */
async function rootlessStore(command: string, rest: string[]): Promise<void> {
  // Only a leading -h/--help is help: `run IMAGE httpd -h /www` still unpacks its image.
  if (process.geteuid?.() === 0 || READ_ONLY.has(command) || rest[0] === '--help' || rest[0] === '-h') return;
  const { enterStoreUserns } = await import('../../engine/rootless.js');
  // A failure is something `run` could not do: docker's 125 there (engine/exit-codes.ts).
  await enterStoreUserns((note) => writeErr(`hako: ${note}\n`), command === 'run' || command === 'create' ? 125 : 1);
}

/** A command's own --root, taken before its arguments (before `run`'s IMAGE, say). */
function takeRoot(args: string[], ctx: EngineContext): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (args[i] === '--root') {
      ctx.root = args[++i];
      continue;
    }
    if (args[i].startsWith('--root=')) {
      ctx.root = args[i].slice(7);
      continue;
    }
    if (!args[i].startsWith('-')) {
      out.push(...args.slice(i));
      break;
    }
    out.push(args[i]);
  }
  return out;
}

/** `hako network …`: the group's usage, or one of its commands. */
async function group(entry: EngineEntry, argv: string[], ctx: EngineContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`usage: hako ${entry.name} COMMAND\n\n${listCommands(entry.group!, 16)}\n\nhako ${entry.name} COMMAND --help lists its flags.\n`);
    return sub ? 0 : 1;
  }
  const cmd = findEntry(entry.group!, sub);
  if (!cmd) throw new HakoError(`${entry.name}: unknown command "${sub}" (see hako ${entry.name} --help)`);
  return runCommand(DISPATCH, cmd, `${entry.name} ${sub}`, rest, ctx);
}
