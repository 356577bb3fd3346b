// The engine's command line: `hako run|ps|…` with docker's flags and output. A global `--root DIR`
// (or $HAKO_ROOT) may come before the command; every command also takes `--root`. This file lists
// the commands; each is a file of its own, imported when it runs.
import { HakoError } from '../../util/errors.js';
import { parseFlags } from '../../engine/flags.js';
import { findEntry, listCommands, parseArgsOptions, runCommand, type Dispatch, type Entry, type Flags } from '../command.js';
import type { EngineContext } from './common.js';
import { CONTAINER_COMMANDS, IMAGE_COMMANDS, NETWORK_COMMANDS, SYSTEM_COMMANDS, VOLUME_COMMANDS } from './groups.js';

type EngineEntry = Entry<EngineContext>;

export const ENGINE_COMMANDS: EngineEntry[] = [
  { name: 'run', summary: "create and start a container (docker's flags)", load: () => import('./run.js') },
  { name: 'create', summary: 'create a container without starting it', load: () => import('./create.js') },
  { name: 'start', summary: 'start created or exited containers', load: () => import('./start.js') },
  { name: 'ps', summary: 'list containers', load: () => import('./ps.js') },
  { name: 'exec', summary: 'run a command in a running container', load: () => import('./exec.js') },
  { name: 'logs', summary: "show a container's output", load: () => import('./logs.js') },
  { name: 'stop', summary: 'SIGTERM, then SIGKILL after a timeout (default 10 s)', load: () => import('./stop.js') },
  { name: 'kill', summary: 'signal containers (default SIGKILL)', load: () => import('./kill.js') },
  { name: 'rm', summary: 'remove containers', load: () => import('./rm.js') },
  { name: 'inspect', summary: 'low-level information on containers and images, as JSON', load: () => import('./inspect.js') },
  { name: 'wait', summary: 'block until containers exit, print their exit codes', load: () => import('./wait.js') },
  { name: 'top', summary: "the container's processes", load: () => import('./top.js') },
  { name: 'stats', summary: 'live CPU, memory and pids of running containers', load: () => import('./stats.js') },
  { name: 'images', summary: 'list images', load: () => import('./images.js') },
  { name: 'pull', summary: 'download an image', load: () => import('./pull.js') },
  { name: 'rmi', summary: 'remove images', load: () => import('./rmi.js') },
  { name: 'load', summary: 'load an OCI layout (dir or tar) or a docker save archive', load: () => import('./load.js') },
  { name: 'save', summary: 'save images as an OCI layout (a .tar name makes an archive)', load: () => import('./save.js') },
  { name: 'import', summary: 'a rootfs tarball (docker export) as a one-layer image', load: () => import('./import.js') },
  { name: 'push', summary: 'upload an image to a registry', load: () => import('./push.js') },
  { name: 'tag', summary: 'another name for an image', load: () => import('./tag.js') },
  { name: 'login', summary: 'log in to a registry (~/.config/hako/auth.json)', load: () => import('./login.js') },
  { name: 'logout', summary: "forget a registry's credentials", load: () => import('./logout.js') },
  { name: 'cp', summary: 'copy files between a container and the host (or a tar stream)', load: () => import('./cp.js') },
  { name: 'rename', summary: 'rename a container', load: () => import('./rename.js') },
  { name: 'pause', summary: "freeze a container's processes", load: () => import('./pause.js') },
  { name: 'unpause', summary: "thaw a paused container's processes", load: () => import('./unpause.js') },
  { name: 'restart', summary: 'stop, then start containers', load: () => import('./restart.js') },
  { name: 'update', summary: "change a container's limits and restart policy", load: () => import('./update.js') },
  { name: 'port', summary: "a container's published ports", load: () => import('./port.js') },
  { name: 'export', summary: "a container's root filesystem as a tar", load: () => import('./export.js') },
  { name: 'diff', summary: "a container's changes to its image (A, C, D)", load: () => import('./diff.js') },
  { name: 'commit', summary: "a new image from a container's changes", load: () => import('./commit.js') },
  { name: 'history', summary: 'the steps that made an image', load: () => import('./history.js') },
  { name: 'events', summary: 'what the engine did, and then does', load: () => import('./events.js') },
  { name: 'version', summary: "hako's version, its runtime's and conmon's", load: () => import('./version.js') },
  { name: 'info', summary: 'the engine and the host', load: () => import('./info.js') },
  { name: 'network', summary: 'manage networks (hako network --help)', group: NETWORK_COMMANDS },
  { name: 'volume', summary: 'manage volumes (hako volume --help)', group: VOLUME_COMMANDS },
  { name: 'system', summary: 'disk usage and prune (hako system --help)', group: SYSTEM_COMMANDS },
  { name: 'container', summary: 'container commands: ls, prune (hako container --help)', group: CONTAINER_COMMANDS },
  { name: 'image', summary: 'image commands: ls, rm, prune (hako image --help)', group: IMAGE_COMMANDS },
  { name: 'container-exited', summary: "conmon's exit command", hidden: true, load: () => import('./container-exited.js') },
];

export const ENGINE_USAGE = `${listCommands(ENGINE_COMMANDS, 14)}

global: --root DIR (default $HAKO_ROOT or /var/lib/hako)
hako COMMAND --help (or hako help COMMAND) lists the flags of COMMAND.`;

const ROOT: Flags = { root: { type: 'string', value: 'DIR', help: "the engine's store (default $HAKO_ROOT or /var/lib/hako)" } };
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
  if (entry.group) return group(entry, rest, ctx);
  return runCommand(DISPATCH, entry, command, takeRoot(rest, ctx), ctx);
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
