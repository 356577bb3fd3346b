// The engine's command line: `hako run|create|start|ps|exec|logs|stop|kill|rm|inspect|wait|top|
// images|pull|rmi`, with docker's flags and output. A global `--root DIR` (or $HAKO_ROOT) may come
// before the command; every command also takes `--root`.
import { HakoError } from '../util/errors.js';
import { logError } from '../util/log.js';
import { oneLine } from './errors.js';
import { trace } from '../util/trace.js';
import { Engine } from '../engine/engine.js';
import { parseFlags, parseRunArgs, splitAtPositional } from '../engine/flags.js';
import { humanDuration, humanSize, renderTemplate, table } from '../engine/format.js';
import { streamSink } from '../engine/logs.js';
import type { ContainerConfig, ContainerState } from '../engine/types.js';

export const ENGINE_COMMANDS = new Set(['run', 'create', 'start', 'ps', 'exec', 'logs', 'stop', 'kill', 'rm', 'inspect', 'wait', 'top',
  'stats', 'images', 'pull', 'rmi', 'load', 'save', 'import', 'container-exited', 'network', 'push', 'tag', 'login', 'logout', 'cp']);

export const ENGINE_USAGE = `  run [OPTIONS] IMAGE [COMMAND] [ARG...]   create and start a container (docker's flags)
  create [OPTIONS] IMAGE [COMMAND]         create a container without starting it
  start CONTAINER...                       start created or exited containers
  ps [-a] [-q] [--format F]                list containers
  exec [-i] [-t] [-d] [-e K=V] [-u U] [-w D] CONTAINER COMMAND [ARG...]
  logs [-f] [--tail N] [-t] CONTAINER      show a container's output
  stop [-t N] CONTAINER...                 SIGTERM, then SIGKILL after N seconds (default 10)
  kill [-s SIG] CONTAINER...               signal containers (default SIGKILL)
  rm [-f] [-v] CONTAINER...                remove containers
  inspect [--format F] CONTAINER|IMAGE...  low-level information as JSON
  wait CONTAINER...                        block until containers exit, print their exit codes
  top CONTAINER                            the container's processes
  stats [--no-stream] [CONTAINER...]       live CPU, memory and pids of running containers
  images [-q] [--format F]                 list images
  load -i FILE|DIR                         load an OCI layout (dir or tar) or a docker save archive
  save -o FILE|DIR IMAGE...                save images as an OCI layout (a .tar name makes an archive)
  import FILE|- REFERENCE                  a rootfs tarball (docker export) as a one-layer image
  pull IMAGE                               download an image
  push [-q] [-a] NAME[:TAG]                upload an image to a registry
  tag SOURCE TARGET                        another name for an image
  login [-u U] [-p P|--password-stdin] [SERVER]   log in to a registry (~/.config/hako/auth.json)
  logout [SERVER]                          forget a registry's credentials
  cp [-a] [-L] CONTAINER:SRC DEST|-        copy out of a container (or SRC|- CONTAINER:DEST into it)
  rmi [-f] IMAGE...                        remove images
  network create|ls|inspect|rm …           manage networks (hako network --help)

global: --root DIR (default $HAKO_ROOT or /var/lib/hako)`;

const ROOT = { root: { type: 'string' as const } };

export async function engineMain(argv: string[]): Promise<number> {
  let root: string | undefined;
  while (argv[0] === '--root' || argv[0]?.startsWith('--root=')) {
    root = argv[0].includes('=') ? argv[0].slice(7) : argv[1];
    if (!root) throw new HakoError('flag needs an argument: --root');
    argv = argv.slice(argv[0].includes('=') ? 1 : 2);
  }
  const [command, ...rest] = argv;
  if (!command) {
    process.stdout.write(`usage: hako COMMAND\n\n${ENGINE_USAGE}\n`);
    return 1;
  }
  // Per-command --root (only before the image / container arguments).
  const take = (args: string[]) => {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--') { out.push(...args.slice(i)); break; }
      if (args[i] === '--root') { root = args[++i]; continue; }
      if (args[i].startsWith('--root=')) { root = args[i].slice(7); continue; }
      if (!args[i].startsWith('-')) { out.push(...args.slice(i)); break; }
      out.push(args[i]);
    }
    return out;
  };
  const args = take(rest);
  const engine = () => new Engine({ root });
  switch (command) {
    case 'run': case 'create': return runOrCreate(command, args, engine);
    case 'start': {
      const { values: v, positionals } = parseFlags(command, args, { attach: { type: 'boolean', short: 'a' }, interactive: { type: 'boolean', short: 'i' }, ...ROOT });
      need(positionals, command);
      if (v.attach) {
        // docker start -a: follow the output until the container exits, and return its code.
        if (positionals.length !== 1) throw new HakoError('start: you cannot start and attach multiple containers at once');
        return engine().startAttached(positionals[0]);
      }
      return each(positionals, async (ref) => { await engine().start(ref); process.stdout.write(`${ref}\n`); });
    }
    case 'ps': {
      const e = engine();
      await e.reapNetworks(); // containers that died unseen still hold addresses and namespaces
      return ps(args, e);
    }
    case 'network': return network(args, engine);
    case 'push': return (await import('./engine/push.js')).pushCommand(args, engine);
    case 'tag': return (await import('./engine/push.js')).tagCommand(args, engine);
    case 'login': return (await import('./engine/login.js')).loginCommand(args);
    case 'logout': return (await import('./engine/login.js')).logoutCommand(args);
    case 'cp': return (await import('./engine/cp.js')).cpCommand(args, engine);
    case 'exec': {
      const opts = {
        interactive: { type: 'boolean' as const, short: 'i' }, tty: { type: 'boolean' as const, short: 't' }, detach: { type: 'boolean' as const, short: 'd' },
        env: { type: 'string' as const, short: 'e', multiple: true }, user: { type: 'string' as const, short: 'u' },
        workdir: { type: 'string' as const, short: 'w' }, privileged: { type: 'boolean' as const }, ...ROOT,
      };
      const { flags, rest: after } = splitAtPositional(args, opts);
      const { values: v } = parseFlags(command, flags, opts);
      const [ref, ...cmd] = after;
      if (!ref || !cmd.length) throw new HakoError('"hako exec" requires at least 2 arguments: CONTAINER COMMAND [ARG...]');
      if (v.tty && !process.stdin.isTTY) throw new HakoError('exec: the input device is not a TTY (drop -t)');
      return engine().exec(ref, {
        command: cmd, interactive: Boolean(v.interactive), tty: Boolean(v.tty), detach: Boolean(v.detach),
        env: (v.env as string[] | undefined) ?? [], user: v.user as string | undefined, workdir: v.workdir as string | undefined,
        privileged: Boolean(v.privileged),
      });
    }
    case 'logs': {
      const { values: v, positionals } = parseFlags(command, args, {
        follow: { type: 'boolean', short: 'f' }, tail: { type: 'string', short: 'n' }, timestamps: { type: 'boolean', short: 't' }, ...ROOT,
      });
      if (positionals.length !== 1) throw new HakoError('"hako logs" requires exactly 1 argument: CONTAINER');
      let tail = -1;
      if (v.tail !== undefined && v.tail !== 'all') {
        if (!/^\d+$/.test(v.tail as string)) throw new HakoError(`invalid argument "${v.tail}" for "--tail" flag: expected a number or "all"`);
        tail = Number(v.tail);
      }
      await engine().logs(positionals[0], { follow: Boolean(v.follow), tail, timestamps: Boolean(v.timestamps) }, streamSink(Boolean(v.timestamps)));
      return 0;
    }
    case 'stop': {
      const { values: v, positionals } = parseFlags(command, args, { time: { type: 'string', short: 't' }, ...ROOT });
      need(positionals, command);
      let t: number | undefined;
      if (v.time !== undefined) {
        if (!/^-?\d+$/.test(v.time as string)) throw new HakoError(`invalid argument "${v.time}" for "--time" flag: expected seconds`);
        t = Number(v.time);
      }
      return each(positionals, async (ref) => { await engine().stop(ref, t); process.stdout.write(`${ref}\n`); });
    }
    case 'kill': {
      const { values: v, positionals } = parseFlags(command, args, { signal: { type: 'string', short: 's' }, ...ROOT });
      need(positionals, command);
      return each(positionals, async (ref) => { engine().kill(ref, (v.signal as string) ?? 'SIGKILL', { requested: true }); process.stdout.write(`${ref}\n`); });
    }
    case 'rm': {
      const { values: v, positionals } = parseFlags(command, args, { force: { type: 'boolean', short: 'f' }, volumes: { type: 'boolean', short: 'v' }, ...ROOT });
      need(positionals, command);
      return each(positionals, async (ref) => { await engine().remove(ref, { force: Boolean(v.force), volumes: Boolean(v.volumes) }); process.stdout.write(`${ref}\n`); });
    }
    case 'inspect': {
      const { values: v, positionals } = parseFlags(command, args, { format: { type: 'string', short: 'f' }, type: { type: 'string' }, ...ROOT });
      need(positionals, command);
      const e = engine();
      const docs: unknown[] = [];
      let failed = 0;
      for (const ref of positionals) {
        try {
          if (v.type === 'image') throw new HakoError('image');
          docs.push(e.inspect(ref));
        } catch (err) {
          if (v.type === 'container') { logError(oneLine((err as Error).message)); failed++; continue; }
          try {
            const { inspect } = await import('../image/index.js');
            docs.push(inspect(e.images, ref));
          } catch {
            logError(oneLine(`no such object: ${ref}`));
            failed++;
          }
        }
      }
      if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
      else process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
      return failed ? 1 : 0;
    }
    case 'wait': {
      const { positionals } = parseFlags(command, args, { ...ROOT });
      need(positionals, command);
      return each(positionals, async (ref) => { process.stdout.write(`${await engine().wait(ref)}\n`); });
    }
    case 'top': {
      const { positionals } = parseFlags(command, args, { ...ROOT });
      if (positionals.length !== 1) throw new HakoError('"hako top" requires exactly 1 argument: CONTAINER');
      process.stdout.write(table(engine().top(positionals[0])));
      return 0;
    }
    case 'stats': {
      const { values: v, positionals } = parseFlags(command, args, { 'no-stream': { type: 'boolean' }, ...ROOT });
      const { renderStats, statsRows } = await import('../engine/stats.js');
      const e = engine();
      if (v['no-stream']) {
        process.stdout.write(renderStats(await statsRows(e, positionals, 500)));
        return 0;
      }
      // Live: redraw every second until interrupted or nothing is left running.
      for (;;) {
        const rows = await statsRows(e, positionals, 1000);
        process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${renderStats(rows)}`);
        if (!rows.length) return 0;
      }
    }
    case 'images': return images(args, engine());
    case 'pull': {
      const { values: v, positionals } = parseFlags(command, args, { quiet: { type: 'boolean', short: 'q' }, platform: { type: 'string' }, ...ROOT });
      if (positionals.length !== 1) throw new HakoError('"hako pull" requires exactly 1 argument: IMAGE');
      const { isBuiltinImage, makeBuiltinImage } = await import('../engine/builtin-image.js');
      if (isBuiltinImage(positionals[0])) {
        // Not in any registry: made from the host's busybox (src/engine/builtin-image.ts).
        process.stdout.write(`${(await makeBuiltinImage(engine().images)).reference}\n`);
        return 0;
      }
      const { pull, createProgressRenderer, parsePlatform } = await import('../image/index.js');
      const rec = await pull(positionals[0], {
        store: engine().images, onProgress: v.quiet ? undefined : createProgressRenderer(process.stderr),
        platform: v.platform ? parsePlatform(v.platform as string) : undefined,
      });
      // Digest and Status are the progress renderer's last lines (also for `run`'s pull).
      process.stdout.write(`${rec.reference}\n`);
      return 0;
    }
    case 'load': {
      const { values: v, positionals } = parseFlags(command, args, { input: { type: 'string', short: 'i' }, ...ROOT });
      const input = (v.input as string | undefined) ?? positionals[0];
      if (!input) throw new HakoError('"hako load" requires -i FILE (an OCI layout directory or tar, or a docker save archive)');
      const { loadImage } = await import('../image/index.js');
      for (const rec of await loadImage(engine().images, input)) process.stdout.write(`Loaded image: ${rec.reference}\n`);
      return 0;
    }
    case 'save': {
      const { values: v, positionals } = parseFlags(command, args, { output: { type: 'string', short: 'o' }, ...ROOT });
      need(positionals, command);
      if (!v.output) throw new HakoError('"hako save" requires -o FILE.tar or -o DIR');
      const { saveOCIArchive, saveOCILayout } = await import('../image/index.js');
      const out = v.output as string;
      if (out.endsWith('.tar')) await saveOCIArchive(engine().images, positionals, out);
      else await saveOCILayout(engine().images, positionals, out);
      return 0;
    }
    case 'import': {
      const { positionals } = parseFlags(command, args, { ...ROOT });
      if (positionals.length !== 2) throw new HakoError('"hako import" requires exactly 2 arguments: FILE|- REFERENCE');
      const { importRootfs } = await import('../image/index.js');
      const rec = await importRootfs(engine().images, positionals[0] === '-' ? process.stdin : positionals[0], positionals[1]);
      process.stdout.write(`${rec.config}\n`); // the image ID (its config's digest), as docker and `images` show it
      return 0;
    }
    case 'rmi': {
      const { values: v, positionals } = parseFlags(command, args, { force: { type: 'boolean', short: 'f' }, ...ROOT });
      need(positionals, command);
      const e = engine();
      const code = await each(positionals, async (ref) => {
        const removed = e.images.removeImage(ref, { force: Boolean(v.force), inUse: (d) => e.imageInUse(d) });
        for (const r of removed) process.stdout.write(`Untagged: ${r}\n`);
      });
      // Unpacked layers of what is gone (the blobs go with the store's gc).
      const { pruneLayers } = await import('../engine/rootfs.js');
      pruneLayers(e.images, e.store.containerDir(''));
      e.images.gc(); // unreferenced blobs, sparing those written in the last minutes (a pull in flight)
      return code;
    }
    case 'container-exited': {
      // conmon's exit command: never fails loudly (nobody reads its output).
      const id = args[0];
      if (id) await engine().containerExited(id).catch((e: Error) => logError(oneLine(e.message)));
      return 0;
    }
    default:
      throw new HakoError(`unknown command "${command}" (see hako --help)`);
  }
}

async function runOrCreate(command: 'run' | 'create', args: string[], engine: () => Engine): Promise<number> {
  trace('engine cli');
  const opts = parseRunArgs(args, command);
  if (command === 'create') opts.detach = true;
  if (opts.tty && !opts.detach && !process.stdin.isTTY) throw new HakoError('the input device is not a TTY (drop -t, or run from a terminal)');
  const e = engine();
  if (command === 'create') {
    const cfg = await e.create(opts);
    process.stdout.write(`${cfg.id}\n`);
    return 0;
  }
  const code = await e.run(opts, (cfg) => { if (opts.detach) process.stdout.write(`${cfg.id}\n`); });
  return code;
}

function need(positionals: string[], command: string): void {
  if (!positionals.length) throw new HakoError(`"hako ${command}" requires at least 1 argument`);
}

/** Runs `fn` for each argument, reporting failures per argument like docker; exit 1 if any failed. */
async function each(refs: string[], fn: (ref: string) => Promise<void>): Promise<number> {
  let failed = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
    } catch (e) {
      if (!(e instanceof HakoError)) throw e;
      if (refs.length === 1) throw e;
      logError(oneLine(e.message)); // one line per failed argument, as docker
      failed++;
    }
  }
  return failed ? 1 : 0;
}

/** One `ps` row as docker's --format sees it. */
export function psRow(c: ContainerConfig, s: ContainerState, now = Date.now()): Record<string, string | number> {
  const command = [c.path, ...c.args].join(' ');
  return {
    ID: c.id.slice(0, 12), Image: c.image, Command: JSON.stringify(command.length > 20 ? `${command.slice(0, 19)}…` : command),
    CreatedAt: c.created, RunningFor: `${humanDuration(now - Date.parse(c.created))} ago`, Status: statusText(s, now), State: s.status,
    Names: c.name, Ports: '', Labels: Object.entries(c.options.labels).map(([k, v]) => `${k}=${v}`).join(','),
    ExitCode: s.exitCode,
  };
}

export function statusText(s: ContainerState, now = Date.now()): string {
  switch (s.status) {
    case 'running': return `Up ${humanDuration(now - Date.parse(s.startedAt ?? new Date(now).toISOString()))}`;
    case 'restarting': return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt ?? new Date(now).toISOString()))} ago`;
    case 'exited': return s.startedAt || s.finishedAt
      ? `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt ?? new Date(now).toISOString()))} ago`
      : 'Created';
    case 'removing': return 'Removal In Progress';
    default: return 'Created';
  }
}

function ps(args: string[], e: Engine): number {
  const { values: v } = parseFlags('ps', args, {
    all: { type: 'boolean', short: 'a' }, quiet: { type: 'boolean', short: 'q' }, format: { type: 'string' },
    'no-trunc': { type: 'boolean' }, latest: { type: 'boolean', short: 'l' }, ...ROOT,
  });
  let list = e.list().filter(({ state }) => v.all || state.status === 'running' || state.status === 'restarting');
  if (v.latest) list = list.slice(0, 1);
  const rows = list.map(({ config, state }) => {
    const r = psRow(config, state);
    const ports = e.networks.state(e.store.containerDir(config.id))?.ports ?? [];
    r.Ports = ports.map((p) => `${p.hostIP || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', ');
    if (v['no-trunc']) r.ID = config.id;
    return r;
  });
  if (v.quiet) {
    process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    return 0;
  }
  const fmt = v.format as string | undefined;
  if (fmt === 'json') {
    process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } else if (fmt && fmt !== 'table') {
    const body = fmt.startsWith('table ') ? fmt.slice(6) : fmt;
    if (fmt.startsWith('table ')) {
      const header = body.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, f: string) => (f === 'ID' ? 'CONTAINER ID' : f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()));
      process.stdout.write(`${header.replace(/\\t/g, '\t')}\n`);
    }
    process.stdout.write(rows.map((r) => `${renderTemplate(body, r)}\n`).join(''));
  } else {
    process.stdout.write(table([
      ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
      ...rows.map((r) => [String(r.ID), String(r.Image), String(r.Command), String(r.RunningFor), String(r.Status), String(r.Ports), String(r.Names)]),
    ]));
  }
  return 0;
}

async function images(args: string[], e: Engine): Promise<number> {
  const { values: v } = parseFlags('images', args, { quiet: { type: 'boolean', short: 'q' }, format: { type: 'string' }, all: { type: 'boolean', short: 'a' }, 'no-trunc': { type: 'boolean' }, ...ROOT });
  const { parseReference } = await import('../image/index.js');
  const rows = e.images.listImages().map((rec) => {
    let repo = rec.reference;
    let tag = '<none>';
    try {
      const r = parseReference(rec.reference);
      const bare = new (r.constructor as typeof import('../image/reference.js').ImageReference)(r.domain, r.path);
      repo = bare.familiar();
      tag = r.tag ?? '<none>';
    } catch { /* keep the raw reference */ }
    let created = '';
    try {
      const cfg = e.images.readJSON<{ created?: string }>(rec.config);
      created = cfg.created ? `${humanDuration(Date.now() - Date.parse(cfg.created))} ago` : '';
    } catch { /* config missing */ }
    return {
      Repository: repo, Tag: tag, ID: v['no-trunc'] ? rec.config : rec.config.slice(7, 19), Digest: rec.digest,
      CreatedSince: created, Size: humanSize(rec.size),
    };
  });
  if (v.quiet) process.stdout.write([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
  else if (v.format === 'json') process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  else if (v.format) process.stdout.write(rows.map((r) => `${renderTemplate(v.format as string, r)}\n`).join(''));
  else process.stdout.write(table([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...rows.map((r) => [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size])]));
  return 0;
}

export const NETWORK_USAGE = `usage: hako network COMMAND

  create [--subnet CIDR] [--gateway IP] [--bridge IFNAME] NAME   create a bridge network
  ls [-q] [--format F]                                           list networks
  inspect [--format F] NAME...                                   networks as JSON
  rm NAME...                                                     remove networks (refused while in use)

Containers join with --network NAME; --network bridge (the default) is the network "hako".`;

/** `hako network …`: the engine root's network store (src/network) with docker's output. */
async function network(argv: string[], engine: () => Engine): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${NETWORK_USAGE}\n`);
    return sub ? 0 : 1;
  }
  const cmd = `network ${sub}`;
  const helpFor = (usage: string) => { process.stdout.write(`usage: hako ${cmd} ${usage}\n`); return 0; };
  const e = engine();
  const store = e.networks.store;
  /** Containers of this engine on a network, by lease: id -> name and address. */
  const usersOf = (name: string) => store.users(name).map((u) => {
    let cname = '';
    try { cname = e.store.readConfig(u.containerId).name; } catch { /* not ours */ }
    return { ...u, name: cname };
  });
  switch (sub) {
    case 'create': {
      const { values: v, positionals } = parseFlags(cmd, rest, {
        subnet: { type: 'string' }, gateway: { type: 'string' }, bridge: { type: 'string' }, driver: { type: 'string', short: 'd' },
        help: { type: 'boolean' }, ...ROOT,
      });
      if (v.help) return helpFor('[--subnet CIDR] [--gateway IP] [--bridge IFNAME] NAME');
      if (positionals.length !== 1) throw new HakoError('"hako network create" requires exactly 1 argument: NAME');
      if (v.driver !== undefined && v.driver !== 'bridge') throw new HakoError(`network create: driver "${v.driver}" is not supported (only bridge)`);
      const info = store.create(positionals[0], { subnet: v.subnet as string | undefined, gateway: v.gateway as string | undefined, bridge: v.bridge as string | undefined });
      process.stdout.write(`${info.name}\n`);
      return 0;
    }
    case 'ls': case 'list': {
      const { values: v, positionals } = parseFlags(cmd, rest, { quiet: { type: 'boolean', short: 'q' }, format: { type: 'string' }, help: { type: 'boolean' }, ...ROOT });
      if (v.help) return helpFor('[-q] [--format F]');
      if (positionals.length) throw new HakoError(`"hako network ls" accepts no arguments (got "${positionals[0]}")`);
      const rows = store.list().map((n) => ({ Name: n.name, Driver: n.driver, Subnet: n.subnet, Gateway: n.gateway, Bridge: n.bridge, Default: n.isDefault }));
      if (v.quiet) process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
      else if (v.format === 'json') process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      else if (v.format) process.stdout.write(rows.map((r) => `${renderTemplate(v.format as string, r)}\n`).join(''));
      else process.stdout.write(table([['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE'], ...rows.map((r) => [r.Name, r.Driver, r.Subnet, r.Gateway, r.Bridge])]));
      return 0;
    }
    case 'inspect': {
      const { values: v, positionals } = parseFlags(cmd, rest, { format: { type: 'string', short: 'f' }, help: { type: 'boolean' }, ...ROOT });
      if (v.help) return helpFor('[--format F] NAME...');
      need(positionals, cmd);
      const docs: unknown[] = [];
      let failed = 0;
      for (const ref of positionals) {
        try {
          const n = store.inspect(ref);
          docs.push({
            Name: n.name, Driver: n.driver, Default: n.isDefault, ConfigFile: n.file ?? '',
            IPAM: { Driver: 'host-local', Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
            Options: { 'com.docker.network.bridge.name': n.bridge },
            Containers: Object.fromEntries(usersOf(n.name).map((u) => [u.containerId, { Name: u.name, IPv4Address: u.ip, Interface: u.ifName }])),
          });
        } catch (err) {
          if (!(err instanceof HakoError)) throw err;
          if (positionals.length === 1) throw err;
          logError(oneLine(err.message));
          failed++;
        }
      }
      if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
      else process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
      return failed ? 1 : 0;
    }
    case 'rm': case 'remove': {
      const { values: v, positionals } = parseFlags(cmd, rest, { help: { type: 'boolean' }, ...ROOT });
      if (v.help) return helpFor('NAME...');
      need(positionals, cmd);
      await e.reapNetworks(); // leases of containers that died unseen must not block the removal
      return each(positionals, async (ref) => {
        const users = usersOf(ref === 'bridge' ? 'hako' : ref);
        if (users.length) {
          throw new HakoError(`network "${ref}" is in use by container${users.length > 1 ? 's' : ''} ${users.map((u) => u.name || u.containerId.slice(0, 12)).join(', ')}: remove them first`);
        }
        await store.remove(ref);
        process.stdout.write(`${ref}\n`);
      });
    }
    default:
      throw new HakoError(`network: unknown command "${sub}" (see hako network --help)`);
  }
}
