// `hako runtime …`: the runc command line. Flags, output formats and exit codes follow runc, so
// engines (containerd, podman) can use hako in its place.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { asHakoError, HakoError } from '../util/errors.js';
import { configureLog, logDebug } from '../util/log.js';
import { Runtime } from './runtime.js';
import { psOutput, readResourcesFile, resourcesFromFlags, streamEvents } from './cgroup-commands.js';
import { defaultSpec } from './spec/default.js';
import { defaultRoot, validateId } from './state.js';
import type { Process } from './spec/types.js';
import { compilePlan } from './plan/compile.js';
import { formatPlan } from './plan/encode.js';
import { loadBundle } from './bundle.js';

const USAGE = `usage: hako runtime [GLOBAL FLAGS] COMMAND [ARGS]   (runc's command line; COMMAND --help for its flags)

global flags:
  --root DIR              state directory (default /run/hako; $XDG_RUNTIME_DIR/hako rootless)
  --log FILE              also append errors (and --debug lines) to FILE
  --log-format text|json  format of --log lines (default text)
  --debug                 record the command, its plan and its phases (in --log FILE, else stderr)
  --systemd-cgroup        refused: hako manages cgroupfs directly
  --rootless VALUE, --criu PATH   accepted for runc compatibility (rootless is detected)
  -h, --help / -v, --version

commands:
  spec        write a default config.json
  create      create a container, stopped at the start barrier
  start       run the created container's process
  run         create and start; in the foreground unless --detach
  state       print the OCI state as JSON
  kill        signal the container (default SIGTERM)
  delete      remove a container
  pause       freeze every process of the container
  resume      thaw a paused container
  update      change the cgroup limits of a running container
  ps          the container's processes (ps(1), filtered)
  events      stats (and OOM) events as JSON lines
  exec        run a new process in a running container
  list        list containers
  features    what this runtime supports (OCI features JSON)
  checkpoint, restore   unsupported (no CRIU): fail with one line
  plan        print the compiled plan (debugging)`;

/** `hako runtime COMMAND --help`: every flag of COMMAND. */
const COMMAND_HELP: Record<string, string> = {
  spec: `spec [--bundle DIR] [--rootless]
  -b, --bundle DIR        where to write config.json (default .)
  --rootless              a spec for an ordinary user (user namespace, no cgroup limits)`,
  create: `create [FLAGS] ID
  -b, --bundle DIR        the bundle (config.json and the rootfs; default .)
  --pid-file FILE         write the container's pid to FILE
  --console-socket PATH   with process.terminal: send the pty master to this Unix socket
  --no-pivot, --no-new-keyring   accepted for runc compatibility
  --preserve-fds N        pass fds 3..3+N-1 on to the container's process as the same numbers`,
  run: `run [FLAGS] ID          create + start; the foreground exit status is the process's
  the flags of create, and:
  -d, --detach            return once started
  --keep                  keep the stopped container's state (delete it later)`,
  start: 'start ID                open the start barrier of a created container',
  state: 'state ID                the OCI state as JSON (with runc\'s rootfs, created, owner)',
  kill: `kill [--all] ID [SIGNAL]
  -a, --all               signal every process of the container
  SIGNAL                  a name (TERM, SIGKILL) or a number; default SIGTERM`,
  delete: `delete [--force] ID
  -f, --force             kill a running or paused container first; a missing one is no error`,
  pause: 'pause ID                freeze every process (cgroup freezer)',
  resume: 'resume ID               thaw a paused container',
  update: `update [FLAGS] ID       (-1 means unlimited where runc takes it)
  -r, --resources FILE|-  linux.resources JSON
  --memory N, --memory-reservation N, --memory-swap N, --kernel-memory N   (k, m, g suffixes)
  --cpu-quota N, --cpu-period N, --cpu-share N, --cpu-rt-period N, --cpu-rt-runtime N
  --cpuset-cpus LIST, --cpuset-mems LIST, --pids-limit N, --blkio-weight N`,
  ps: `ps [--format table|json] ID [PS-OPTIONS...]
  -f, --format F          table: ps(1) with PS-OPTIONS (default -ef), the container's lines; json: its pids`,
  events: `events [--stats] [--interval 5s] ID
  --stats                 one stats event, then exit
  --interval D            between stats events (500ms, 5s, 1m)`,
  exec: `exec [FLAGS] ID [COMMAND [ARG...]]
  -p, --process FILE      the process as OCI process JSON (user defaults to 0:0)
  -t, --tty               a pty (relayed, or sent to --console-socket)
  -d, --detach            return once the process runs
  -e, --env K=V           add to the environment (repeatable)
  --cwd DIR               working directory
  -u, --user UID[:GID]    numeric user and group
  -g, --additional-gids G supplementary group (repeatable)
  -c, --cap CAP           add a capability (repeatable)
  --no-new-privs          set no_new_privs
  --apparmor PROFILE, --process-label LABEL
  --console-socket PATH, --pid-file FILE
  --ignore-paused         exec into a paused container (the process waits for resume)
  --cgroup [CTRL:]PATH    join a sub-cgroup of the container's (it must exist; repeatable)
  --preserve-fds N        pass fds 3..3+N-1 on to the process as the same numbers`,
  list: `list [--format table|json] [--quiet]
  -f, --format F          table (default) or json (runc's fields)
  -q, --quiet             ids only`,
  features: 'features                what this runtime supports (OCI features JSON)',
  plan: `plan [--bundle DIR]     print the compiled plan, one operation a line (debugging)`,
};

type Opts = NonNullable<ParseArgsConfig['options']>;
const bundleOpt: Opts = { bundle: { type: 'string', short: 'b', default: '.' } };
const createOpts: Opts = {
  ...bundleOpt,
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'no-pivot': { type: 'boolean' },
  'no-new-keyring': { type: 'boolean' },
  'preserve-fds': { type: 'string' },
};

function parse(args: string[], options: Opts, command: string) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new HakoError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** --preserve-fds N (as runc: our fds 3..3+N-1 go on to the process as the same numbers). Each must
 *  be the caller's: one it did not pass is said in one line. "Open" is not enough: the JavaScript
 *  runtime opens its event loop's epoll and eventfd at the lowest free numbers before any of our
 *  code runs, so a caller passing fewer than N fds would hand them to the container. The flags
 *  cannot tell them apart (Bun marks inherited fds above 3 close-on-exec too), so an epoll or
 *  eventfd there is refused: a caller that means to pass one of those cannot, a known limit. */
function preservedFds(values: Record<string, unknown>, command: string): number {
  const text = values['preserve-fds'] as string | undefined;
  if (text === undefined) return 0;
  if (!/^\d{1,6}$/.test(text)) throw new HakoError(`${command}: --preserve-fds ${text}: expects a number of file descriptors`);
  const n = Number(text);
  for (let fd = 3; fd < 3 + n; fd++) {
    if (!inheritedFd(fd)) throw new HakoError(`${command}: --preserve-fds ${n}: file descriptor ${fd} was not passed to hako`);
  }
  return n;
}

function inheritedFd(fd: number): boolean {
  let target: string;
  try { target = fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return false; }
  return target !== 'anon_inode:[eventpoll]' && target !== 'anon_inode:[eventfd]';
}

function one(positionals: string[], command: string, what = 'container id'): string {
  if (positionals.length !== 1) throw new HakoError(`${command}: expects exactly one ${what}, got ${positionals.length}`);
  return positionals[0];
}

export async function runtimeMain(argv: string[]): Promise<number> {
  // Global flags come before the command, as with runc.
  let i = 0;
  let root = defaultRoot();
  let logFile: string | undefined;
  let logFormat: 'text' | 'json' = 'text';
  let debug = false;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--root': root = value(); break;
      case '--log': logFile = value(); break;
      case '--log-format': {
        const f = value();
        if (f !== 'text' && f !== 'json') throw new HakoError(`--log-format: must be text or json, got "${f}"`);
        logFormat = f;
        break;
      }
      case '--debug': debug = true; break;
      case '--systemd-cgroup': throw new HakoError('--systemd-cgroup: the systemd cgroup driver is not supported; hako manages cgroupfs directly');
      case '--rootless': value(); break; // auto-detected from the euid, like runc's "auto"
      case '--criu': value(); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); return 0;
      case '-v': case '--version': process.stdout.write('hako runtime version 0.1.0\nspec: 1.2.0\n'); return 0;
      default: throw new HakoError(`unknown global flag ${flag}`);
    }
  }
  configureLog({ file: logFile, format: logFormat, debug });
  const [command, ...rest] = argv.slice(i);
  // --debug: the command as the engine gave it, then its phases (trace points), then its outcome.
  logDebug(`command: ${JSON.stringify(argv)} (pid ${process.pid}, root ${root})`);
  try {
    const code = await dispatch(new Runtime({ root, onWarning: printWarning }), command, rest);
    logDebug(`${command ?? 'usage'}: exit status ${code}`);
    return code;
  } catch (e) {
    logDebug(`${command ?? 'usage'}: failed: ${(e as Error).message}`);
    throw e;
  }
}

/** The library's warnings, worded as the runtime always printed them. */
function printWarning(message: string): void {
  process.stderr.write(`hako: ${message}\n`);
}

async function dispatch(rt: Runtime, command: string | undefined, rest: string[]): Promise<number> {
  // COMMAND --help (before its id; `exec ID sh --help` is the program's). checkpoint and restore
  // have none: podman reads a zero exit of `checkpoint --help` as support.
  const flagsOnly = splitAtFirstPositional(rest, new Set()).flags;
  if (command && COMMAND_HELP[command] && (flagsOnly.includes('--help') || flagsOnly.includes('-h'))) {
    process.stdout.write(`usage: hako runtime ${COMMAND_HELP[command]}\n`);
    return 0;
  }
  switch (command) {
    case 'spec': {
      const { values } = parse(rest, { ...bundleOpt, rootless: { type: 'boolean' } }, command);
      const file = path.join(values.bundle as string, 'config.json');
      if (fs.existsSync(file)) throw new HakoError(`${file} already exists`);
      const spec = defaultSpec({ rootless: values.rootless as boolean, uid: process.getuid!(), gid: process.getgid!() });
      try {
        fs.writeFileSync(file, `${JSON.stringify(spec, null, '\t')}\n`, { flag: 'wx' });
      } catch (e) {
        throw asHakoError(`spec: cannot write ${file}`, e);
      }
      return 0;
    }
    case 'create': {
      const { values, positionals } = parse(rest, createOpts, command);
      await rt.create(one(positionals, command), {
        bundle: values.bundle as string, pidFile: values['pid-file'] as string | undefined,
        consoleSocket: values['console-socket'] as string | undefined, preserveFds: preservedFds(values, command),
      });
      return 0;
    }
    case 'run': {
      const { values, positionals } = parse(rest, { ...createOpts, detach: { type: 'boolean', short: 'd' }, keep: { type: 'boolean' } }, command);
      return rt.run(one(positionals, command), {
        bundle: values.bundle as string, pidFile: values['pid-file'] as string | undefined,
        consoleSocket: values['console-socket'] as string | undefined, detach: values.detach as boolean, keep: values.keep as boolean,
        preserveFds: preservedFds(values, command),
      });
    }
    case 'start': {
      const { positionals } = parse(rest, {}, command);
      await rt.start(one(positionals, command));
      return 0;
    }
    case 'state': {
      const { positionals } = parse(rest, {}, command);
      process.stdout.write(`${JSON.stringify(rt.runcState(one(positionals, command)), null, 2)}\n`);
      return 0;
    }
    case 'kill': {
      const { values, positionals } = parse(rest, { all: { type: 'boolean', short: 'a' } }, command);
      if (positionals.length < 1 || positionals.length > 2) throw new HakoError('kill: expects ID [SIGNAL]');
      await rt.kill(positionals[0], positionals[1] ?? 'SIGTERM', { all: values.all as boolean });
      return 0;
    }
    case 'delete': {
      const { values, positionals } = parse(rest, { force: { type: 'boolean', short: 'f' } }, command);
      await rt.delete(one(positionals, command), { force: values.force as boolean });
      return 0;
    }
    case 'list': {
      const { values } = parse(rest, { format: { type: 'string', short: 'f', default: 'table' }, quiet: { type: 'boolean', short: 'q' } }, command);
      const all = rt.list();
      if (values.quiet) process.stdout.write(all.map((s) => `${s.id}\n`).join(''));
      else if (values.format === 'json') {
        // runc's fields (rootfs and owner too, which tools written against runc read).
        const runcLike = (s: (typeof all)[number]) => {
          try {
            return { ...rt.runcState(s.id), pid: s.pid ?? 0, status: s.status, created: s.created };
          } catch {
            return { ...s, pid: s.pid ?? 0 }; // deleted meanwhile
          }
        };
        process.stdout.write(`${JSON.stringify(all.map(runcLike))}\n`);
      }
      else if (values.format === 'table') {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'], ...all.map((s) => [s.id, String(s.pid ?? 0), s.status, s.bundle, s.created])];
        const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
        process.stdout.write(rows.map((r) => r.map((v, c) => v.padEnd(widths[c])).join('   ').trimEnd()).join('\n') + '\n');
      } else throw new HakoError(`list: --format must be table or json, got "${values.format}"`);
      return 0;
    }
    case 'exec': {
      // Flags end at the container id: `exec ID sh -c …` must not read `-c` as --cap.
      const { flags, positionals: after } = splitAtFirstPositional(rest, EXEC_VALUE_FLAGS);
      const { values, positionals } = parse([...flags, ...after.slice(0, 1)], {
        'console-socket': { type: 'string' }, cwd: { type: 'string' }, env: { type: 'string', short: 'e', multiple: true },
        tty: { type: 'boolean', short: 't' }, user: { type: 'string', short: 'u' }, 'additional-gids': { type: 'string', short: 'g', multiple: true },
        process: { type: 'string', short: 'p' }, 'no-new-privs': { type: 'boolean' }, cap: { type: 'string', short: 'c', multiple: true },
        'pid-file': { type: 'string' }, detach: { type: 'boolean', short: 'd' }, 'preserve-fds': { type: 'string' },
        'process-label': { type: 'string' }, apparmor: { type: 'string' }, 'ignore-paused': { type: 'boolean' },
        cgroup: { type: 'string', multiple: true },
      }, command);
      const id = positionals[0];
      const args = after.slice(1);
      if (!id) throw new HakoError('exec: container id is required');
      const preserveFds = preservedFds(values, command);
      const proc = values.process
        ? readProcessFile(values.process as string)
        : execProcess(rt.states.readConfig(validateId(id)).process!, args, values);
      return rt.exec(id, proc, {
        detach: values.detach as boolean, pidFile: values['pid-file'] as string | undefined,
        consoleSocket: values['console-socket'] as string | undefined, ignorePaused: values['ignore-paused'] as boolean,
        preserveFds, cgroup: values.cgroup as string[] | undefined,
      });
    }
    case 'pause': case 'resume': {
      const { positionals } = parse(rest, {}, command);
      if (command === 'pause') await rt.pause(one(positionals, command));
      else await rt.resume(one(positionals, command));
      return 0;
    }
    case 'update': {
      const str = { type: 'string' } as const;
      const { values, positionals } = parse(rest, {
        resources: { type: 'string', short: 'r' }, 'blkio-weight': str, 'cpu-period': str, 'cpu-quota': str, 'cpu-share': str,
        'cpu-rt-period': str, 'cpu-rt-runtime': str, 'cpuset-cpus': str, 'cpuset-mems': str, memory: str, 'memory-reservation': str,
        'memory-swap': str, 'kernel-memory': str, 'pids-limit': str,
      }, command);
      const id = one(positionals, command);
      const resources = values.resources ? readResourcesFile(values.resources as string) : resourcesFromFlags(values);
      await rt.update(id, resources);
      return 0;
    }
    case 'ps': {
      // `ps [--format F] ID [PS-OPTIONS…]`: the options after the id are ps(1)'s, as with runc.
      const { flags, positionals: after } = splitAtFirstPositional(rest, new Set(['--format', '-f']));
      const { values } = parse(flags, { format: { type: 'string', short: 'f', default: 'table' } }, command);
      if (!after.length) throw new HakoError('ps: expects exactly one container id, got 0');
      process.stdout.write(psOutput(rt, after[0], values.format as string, after.slice(1)));
      return 0;
    }
    case 'events': {
      const { values, positionals } = parse(rest, { stats: { type: 'boolean' }, interval: { type: 'string', default: '5s' } }, command);
      const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(values.interval as string);
      if (!m) throw new HakoError(`events: --interval must be a duration like 5s or 500ms, got "${values.interval}"`);
      const intervalMs = Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 } as Record<string, number>)[m[2] ?? 's'];
      streamEvents(rt, one(positionals, command), { once: Boolean(values.stats), intervalMs, out: (l) => fs.writeSync(1, `${l}\n`) });
      return 0;
    }
    case 'features': {
      parse(rest, {}, command);
      const { features } = await import('./features.js');
      process.stdout.write(`${JSON.stringify(features(), null, 2)}\n`);
      return 0;
    }
    case 'plan': {
      const { values } = parse(rest, bundleOpt, command);
      const b = loadBundle(values.bundle as string);
      const ops = compilePlan(b.spec, { rootfs: b.rootfs, bundle: b.dir, fifo: '<fifo>', forkMode: 'wait', console: '@relay' });
      process.stdout.write(`${formatPlan(ops)}\n`);
      return 0;
    }
    // runc's checkpoint and restore (CRIU). podman probes `checkpoint --help` and takes a zero
    // exit for support, so even --help must fail, with one line saying why.
    case 'checkpoint': case 'restore':
      throw new HakoError(`${command}: unsupported: hako has no checkpoint/restore (CRIU) support`);
    case undefined:
      // As `hako` alone: the usage on stdout (stderr is for one-line errors), and a failure.
      process.stdout.write(`${USAGE}\n`);
      return 1;
    default:
      throw new HakoError(`unknown runtime command "${command}" (see hako runtime --help)`);
  }
}

/** `--memory-swap -1` (docker update sends it; -1 is "unlimited"): parseArgs calls a value that looks
 *  like a flag ambiguous, runc takes it. A negative number after a flag that takes a value is its value. */
function joinNegativeValues(args: string[], options: Opts): string[] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') return [...out, ...args.slice(i)];
    if (takesValue.has(args[i]) && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

function readProcessFile(file: string): Process {
  let proc: Process;
  try {
    proc = JSON.parse(fs.readFileSync(file, 'utf8')) as Process;
  } catch (e) {
    throw e instanceof SyntaxError ? new HakoError(`exec: --process ${file}: invalid JSON: ${e.message}`) : asHakoError(`exec: --process ${file}`, e);
  }
  // runc runs a process without `user` as 0:0.
  if (proc && typeof proc === 'object' && proc.user === undefined) proc.user = { uid: 0, gid: 0 };
  return proc;
}

/** runc's exec without --process: the container's process with the flags' changes. */
function execProcess(base: Process, args: string[], v: Record<string, unknown>): Process {
  if (!args.length) throw new HakoError('exec: a command is required (or --process)');
  const proc: Process = structuredClone(base);
  proc.args = args;
  proc.terminal = Boolean(v.tty);
  delete proc.consoleSize;
  proc.env = [...(base.env ?? []), ...((v.env as string[]) ?? [])];
  if (v.cwd) proc.cwd = v.cwd as string;
  if (v.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(v.user as string);
    if (!m) throw new HakoError(`exec: --user must be UID[:GID] (numbers), got "${v.user}"`);
    proc.user = { ...proc.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : proc.user.gid };
  }
  if (v['additional-gids']) proc.user.additionalGids = (v['additional-gids'] as string[]).map(Number);
  if (v['no-new-privs']) proc.noNewPrivileges = true;
  if (v.apparmor) proc.apparmorProfile = v.apparmor as string;
  // Like runc: bounding, effective and permitted (ambient would need inheritable).
  for (const cap of (v.cap as string[]) ?? []) {
    const caps = (proc.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) (caps[set] ??= []).push(cap);
  }
  return proc;
}

const EXEC_VALUE_FLAGS = new Set(['--console-socket', '--cwd', '--env', '-e', '--user', '-u', '--additional-gids', '-g',
  '--process', '-p', '--cap', '-c', '--pid-file', '--preserve-fds', '--process-label', '--apparmor', '--cgroup']);

/** Splits `[flags…] ID [ARGS…]` at the first word that is not a flag or a flag's value. */
function splitAtFirstPositional(args: string[], valueFlags: Set<string>): { flags: string[]; positionals: string[] } {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return { flags: args.slice(0, i), positionals: args.slice(i + 1) };
    if (!a.startsWith('-') || a === '-') break;
    if (valueFlags.has(a)) i++;
  }
  return { flags: args.slice(0, i), positionals: args.slice(i) };
}
