// `hako runtime …`: the runc command line. Flags, output formats and exit codes follow runc, so
// engines (containerd, podman) can use hako in its place. This file reads the global flags and
// lists the commands; each command is a file of its own, imported when it runs.
import { HakoError } from '../../util/errors.js';
import { configureLog, logDebug } from '../../util/log.js';
import { findEntry, listCommands, runCommand, type Dispatch, type Entry } from '../command.js';
import { parse, type RuntimeContext } from './common.js';
import { GLOBAL_FLAGS, readGlobals } from './globals.js';
import { writeOut } from '../../util/stdio.js';

type RuntimeEntry = Entry<RuntimeContext>;

export const RUNTIME_COMMANDS: RuntimeEntry[] = [
  { name: 'spec', summary: 'write a default config.json', load: () => import('./spec.js') },
  { name: 'create', summary: 'create a container, stopped at the start barrier', load: () => import('./create.js') },
  { name: 'start', summary: "run the created container's process", load: () => import('./start.js') },
  { name: 'run', summary: 'create and start; in the foreground unless --detach', load: () => import('./run.js') },
  { name: 'state', summary: 'print the OCI state as JSON', load: () => import('./state.js') },
  { name: 'kill', summary: 'signal the container (default SIGTERM)', load: () => import('./kill.js') },
  { name: 'delete', summary: 'remove a container', load: () => import('./delete.js') },
  { name: 'pause', summary: 'freeze every process of the container', load: () => import('./pause.js') },
  { name: 'resume', summary: 'thaw a paused container', load: () => import('./resume.js') },
  { name: 'update', summary: 'change the cgroup limits of a running container', load: () => import('./update.js') },
  { name: 'ps', summary: "the container's processes (ps(1), filtered)", load: () => import('./ps.js') },
  { name: 'events', summary: 'stats (and OOM) events as JSON lines', load: () => import('./events.js') },
  { name: 'exec', summary: 'run a new process in a running container', load: () => import('./exec.js') },
  { name: 'list', summary: 'list containers', load: () => import('./list.js') },
  { name: 'features', summary: 'what this runtime supports (OCI features JSON)', load: () => import('./features.js') },
  { name: 'checkpoint', summary: 'checkpoint a running container with criu', load: () => import('./checkpoint.js') },
  { name: 'restore', summary: 'restore a container from a criu checkpoint', load: () => import('./restore.js') },
  { name: 'plan', summary: 'print the compiled plan (debugging)', load: () => import('./plan.js') },
];

const USAGE = `usage: hako runtime [GLOBAL FLAGS] COMMAND [ARGS]   (runc's command line; COMMAND --help or help COMMAND for its flags)

${GLOBAL_FLAGS}

commands:
${listCommands(RUNTIME_COMMANDS)}`;

const DISPATCH: Dispatch<RuntimeContext> = { prog: 'hako runtime', parse };

export async function runtimeMain(argv: string[]): Promise<number> {
  const g = readGlobals(argv);
  if (g.only === 'help') writeOut(`${USAGE}\n`);
  if (g.only === 'version') writeOut('hako runtime version 0.1.0\nspec: 1.2.0\n');
  if (g.only) return 0;
  configureLog({ file: g.logFile, format: g.logFormat, debug: g.debug });
  const [command, ...rest] = g.rest;
  // --debug: the command as the engine gave it, then its phases (trace points), then its outcome.
  logDebug(`command: ${JSON.stringify(argv)} (pid ${process.pid}, root ${g.root})`);
  try {
    const code = await dispatch(command, rest, { root: g.root, systemdCgroup: g.systemdCgroup });
    logDebug(`${command ?? 'usage'}: exit status ${code}`);
    return code;
  } catch (e) {
    logDebug(`${command ?? 'usage'}: failed: ${(e as Error).message}`);
    throw e;
  }
}

async function dispatch(command: string | undefined, rest: string[], ctx: RuntimeContext): Promise<number> {
  if (command === undefined) {
    // As `hako` alone: the usage on stdout (stderr is for one-line errors), and a failure.
    writeOut(`${USAGE}\n`);
    return 1;
  }
  // runc's `help [COMMAND]`: the usage, or COMMAND --help.
  const [name, args] = command === 'help' && rest.length ? [rest[0], ['--help']] : [command, rest];
  if (command === 'help' && !rest.length) {
    writeOut(`${USAGE}\n`);
    return 0;
  }
  const entry = findEntry(RUNTIME_COMMANDS, name);
  if (!entry) throw new HakoError(`unknown runtime command "${name}" (see hako runtime --help)`);
  return runCommand(DISPATCH, entry, name, args, ctx);
}
