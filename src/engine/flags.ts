// `hako run`/`create` flags: docker's names and value syntax, parsed with node:util parseArgs. Every
// bad flag or value becomes one line naming the flag, like docker's "invalid argument ... for ...".
import { EXTRA_FLAGS, readRunExtras } from './run-extras.js';
import { STATIC_ADDRESS_FLAGS, readStaticAddresses } from './static-address.js';
import { splitAtFirstArgument } from '../util/argv.js';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { asHakoError, HakoError, quote } from '../util/errors.js';
import { EngineError, usageFailure } from './exit-codes.js';
import { CAPABILITIES, RLIMITS, parseSignal } from '../oci/names.js';
import type { DeviceMapping, PortMapping, RestartPolicy, RunOptions, Ulimit, VolumeSpec } from './types.js';

type Opts = NonNullable<ParseArgsConfig['options']>;

export const RUN_FLAGS: Opts = {
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  rm: { type: 'boolean' },
  detach: { type: 'boolean', short: 'd' },
  name: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  'env-file': { type: 'string', multiple: true },
  volume: { type: 'string', short: 'v', multiple: true },
  mount: { type: 'string', multiple: true },
  tmpfs: { type: 'string', multiple: true },
  publish: { type: 'string', short: 'p', multiple: true },
  'publish-all': { type: 'boolean', short: 'P' },
  network: { type: 'string' },
  net: { type: 'string' },
  hostname: { type: 'string', short: 'h' },
  'add-host': { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  'dns-search': { type: 'string', multiple: true },
  'dns-option': { type: 'string', multiple: true },
  'network-alias': { type: 'string', multiple: true },
  alias: { type: 'string', multiple: true },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
  entrypoint: { type: 'string' },
  memory: { type: 'string', short: 'm' },
  'memory-swap': { type: 'string' },
  cpus: { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  'pids-limit': { type: 'string' },
  ulimit: { type: 'string', multiple: true },
  'read-only': { type: 'boolean' },
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  privileged: { type: 'boolean' },
  'security-opt': { type: 'string', multiple: true },
  device: { type: 'string', multiple: true },
  sysctl: { type: 'string', multiple: true },
  init: { type: 'boolean' },
  restart: { type: 'string' },
  label: { type: 'string', short: 'l', multiple: true },
  userns: { type: 'string' },
  'stop-signal': { type: 'string' },
  'stop-timeout': { type: 'string' },
  runtime: { type: 'string' },
  ...EXTRA_FLAGS,
  ...STATIC_ADDRESS_FLAGS,
  help: { type: 'boolean' },
};

/** Splits `[flags…] IMAGE [COMMAND…]` at the first word that is neither a flag nor a flag's value,
 *  so the container's own flags (`sh -c …`) are never read as ours. */
export function splitAtPositional(args: string[], options: Opts): { flags: string[]; rest: string[] } {
  const valueFlags = new Set<string>();
  for (const [long, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    valueFlags.add(`--${long}`);
    if (o.short) valueFlags.add(`-${o.short}`);
  }
  return splitAtFirstArgument(args, valueFlags);
}

/** parseArgs with docker-like one-line errors ("run: unknown flag: --foo"). */
export function parseFlags(command: string, args: string[], options: Opts): { values: Record<string, unknown>; positionals: string[] } {
  // A value that starts with '-' (`--memory-swap -1`) is a value, as in docker, not a flag.
  const longOf = new Map<string, string>();
  for (const [long, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    longOf.set(`--${long}`, long);
    if (o.short) longOf.set(`-${o.short}`, long);
  }
  const fixed: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const long = longOf.get(args[i]);
    if (long && i + 1 < args.length && args[i + 1].startsWith('-') && args[i + 1] !== '--') fixed.push(`--${long}=${args[++i]}`);
    else fixed.push(args[i]);
  }
  const { args: plain, falses } = boolAssignments(fixed, options);
  args = plain;
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    for (const name of falses) (r.values as Record<string, unknown>)[name] = false;
    return { values: r.values as Record<string, unknown>, positionals: r.positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    const m = /Unknown option '([^']+)'/.exec(err.message);
    if (m) throw new EngineError(`${command}: unknown flag: ${m[1]}`);
    const v = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(err.message);
    if (v) throw new EngineError(`${command}: flag needs an argument: ${v[1]}`);
    const b = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(err.message);
    if (b) throw new EngineError(`${command}: flag ${b[1]} does not take a value`);
    throw new EngineError(`${command}: ${err.message.split('\n')[0]}`);
  }
}

/** docker's (pflag's) `--flag=true|false` for a boolean flag (`attach --sig-proxy=false`): `true`
 *  becomes the bare flag, `false` is taken out and reported, so the caller sets it false. */
function boolAssignments(args: string[], options: Opts): { args: string[]; falses: string[] } {
  const falses: string[] = [];
  const out: string[] = [];
  for (const [i, a] of args.entries()) {
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^--([\w-]+)=(true|false)$/.exec(a);
    if (!m || options[m[1]]?.type !== 'boolean') {
      out.push(a);
      continue;
    }
    if (m[2] === 'true') out.push(`--${m[1]}`);
    else falses.push(m[1]);
  }
  return { args: out, falses };
}

// The value quoted as docker does, but clipped and escaped: a huge or multi-line value stays one line.
export const MAX_NAME_LENGTH = 255;

const bad = (flag: string, value: string, why: string) => new HakoError(`invalid argument ${quote(value)} for "--${flag}" flag: ${why}`);

/** docker's RAMInBytes: a number with an optional b/k/m/g/t suffix (binary units). */
export function parseBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(value.trim());
  if (!m) throw bad(flag, value, 'expected a size such as 512m or 1g');
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * mult);
}

function parseIntFlag(value: string, flag: string, min: number): number {
  if (!/^-?\d+$/.test(value)) throw bad(flag, value, 'expected an integer');
  const n = Number(value);
  // 1e20 would reach a cgroup file as "1e+20", or a count as a float: docker says out of range.
  if (!Number.isSafeInteger(n)) throw bad(flag, value, 'value out of range');
  if (n < min) throw bad(flag, value, `must be at least ${min}`);
  return n;
}

export function parseRestart(value: string): RestartPolicy {
  const [name, count, ...more] = value.split(':');
  if (more.length) throw bad('restart', value, 'expected no, always, unless-stopped or on-failure[:max-retries]');
  if (name === 'on-failure') {
    return { name, maximumRetryCount: count === undefined ? 0 : parseIntFlag(count, 'restart', 0) };
  }
  if ((name === 'no' || name === 'always' || name === 'unless-stopped') && count === undefined) return { name };
  if (count !== undefined && (name === 'no' || name === 'always' || name === 'unless-stopped')) {
    throw bad('restart', value, `maximum retry count cannot be used with restart policy "${name}"`);
  }
  throw bad('restart', value, 'expected no, always, unless-stopped or on-failure[:max-retries]');
}

/** `[ip:][hostPort:]containerPort[/proto]` (docker's short form; ranges are not supported). */
export function parsePublish(value: string): PortMapping {
  let spec = value;
  let protocol: PortMapping['protocol'] = 'tcp';
  const slash = spec.lastIndexOf('/');
  if (slash >= 0) {
    const p = spec.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw bad('publish', value, `unknown protocol "${p}"`);
    protocol = p;
    spec = spec.slice(0, slash);
  }
  let hostIP = '';
  const ipv6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(spec);
  let parts: string[];
  if (ipv6) {
    hostIP = ipv6[1];
    parts = ipv6[2].split(':');
  } else parts = spec.split(':');
  if (!ipv6 && parts.length === 3) hostIP = parts.shift()!;
  if (parts.length > 2 || parts.length === 0) throw bad('publish', value, 'expected [ip:][hostPort:]containerPort[/protocol]');
  const port = (s: string, allowZero: boolean) => {
    if (!/^\d+$/.test(s)) throw bad('publish', value, s.includes('-') ? 'port ranges are not supported' : `"${s}" is not a port number`);
    const n = Number(s);
    if (n > 65535 || (n === 0 && !allowZero)) throw bad('publish', value, `port ${s} is out of range`);
    return n;
  };
  const containerPort = port(parts[parts.length - 1], false);
  const hostPort = parts.length === 2 && parts[0] !== '' ? port(parts[0], true) : 0;
  return { hostIP, hostPort, containerPort, protocol };
}

const isAbs = (p: string) => p.startsWith('/');

/** `-v SRC:DST[:OPTS]`, `-v NAME:DST`, `-v DST` (an anonymous volume). */
export function parseVolume(value: string): VolumeSpec {
  const parts = value.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw bad('volume', value, 'expected [SOURCE:]DESTINATION[:OPTIONS]');
  let source = '';
  let target: string;
  let opts: string[] = [];
  if (parts.length === 1) target = parts[0];
  else if (parts.length === 2 && isAbs(parts[0])) [source, target] = parts;
  else if (parts.length === 2 && !isAbs(parts[1])) {
    target = parts[0];
    opts = parts[1].split(',');
  } // DST:OPTS
  else {
    [source, target] = parts;
    opts = parts[2]?.split(',') ?? [];
  }
  if (!isAbs(target)) throw bad('volume', value, `destination "${target}" must be an absolute path`);
  if (source && !isAbs(source) && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source))
    throw bad('volume', value, `"${source}" is neither an absolute path nor a valid volume name`);
  let readOnly = false;
  const options: string[] = [];
  for (const o of opts) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (o === 'z' || o === 'Z') {
      /* SELinux relabel: nothing to do without SELinux */
    } else if (['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(o)) options.push(o);
    else throw bad('volume', value, `unknown option "${o}"`);
  }
  return { type: isAbs(source) ? 'bind' : 'volume', source, target, readOnly, options };
}

/** `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=…][,tmpfs-mode=…]`. */
export function parseMount(value: string): VolumeSpec {
  const kv = new Map<string, string>();
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const k = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    kv.set(k, eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw bad('mount', value, `type must be bind, volume or tmpfs, got "${type}"`);
  const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!target) throw bad('mount', value, 'target is required');
  if (!isAbs(target)) throw bad('mount', value, `target "${target}" must be an absolute path`);
  const source = kv.get('source') ?? kv.get('src') ?? '';
  const ro = kv.get('readonly') ?? kv.get('ro');
  const readOnly = ro !== undefined && ro !== 'false' && ro !== '0';
  const options: string[] = [];
  if (type === 'bind') {
    if (!isAbs(source)) throw bad('mount', value, 'a bind mount needs an absolute source path');
    const prop = kv.get('bind-propagation');
    if (prop) options.push(prop);
  } else if (type === 'volume') {
    if (source && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) throw bad('mount', value, `invalid volume name "${source}"`);
  } else {
    if (source) throw bad('mount', value, 'a tmpfs mount takes no source');
    const size = kv.get('tmpfs-size');
    if (size) options.push(`size=${parseBytes(size, 'mount')}`);
    const mode = kv.get('tmpfs-mode');
    if (mode) {
      if (!/^[0-7]{1,4}$/.test(mode)) throw bad('mount', value, `tmpfs-mode "${mode}" is not an octal mode`);
      options.push(`mode=${mode}`);
    }
  }
  for (const k of kv.keys()) {
    if (!['type', 'target', 'destination', 'dst', 'source', 'src', 'readonly', 'ro', 'bind-propagation', 'tmpfs-size', 'tmpfs-mode'].includes(k)) {
      throw bad('mount', value, `unknown field "${k}"`);
    }
  }
  return { type, source, target, readOnly, options };
}

/** `--tmpfs /path[:opts]` */
export function parseTmpfs(value: string): VolumeSpec {
  const colon = value.indexOf(':');
  const target = colon < 0 ? value : value.slice(0, colon);
  if (!isAbs(target)) throw bad('tmpfs', value, `"${target}" must be an absolute path`);
  const opts =
    colon < 0
      ? []
      : value
          .slice(colon + 1)
          .split(',')
          .filter(Boolean);
  const readOnly = opts.includes('ro');
  return { type: 'tmpfs', source: '', target, readOnly, options: opts.filter((o) => o !== 'ro' && o !== 'rw') };
}

export function parseUlimit(value: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (!m) throw bad('ulimit', value, 'expected NAME=SOFT[:HARD]');
  const name = m[1];
  if (!Object.hasOwn(RLIMITS, `RLIMIT_${name.toUpperCase()}`)) throw bad('ulimit', value, `unknown limit "${name}"`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard && hard !== -1) throw bad('ulimit', value, 'the soft limit exceeds the hard limit');
  return { name, soft, hard };
}

export function parseDevice(value: string): DeviceMapping {
  const parts = value.split(':');
  if (parts.length > 3 || !isAbs(parts[0])) throw bad('device', value, 'expected HOST-PATH[:CONTAINER-PATH][:PERMISSIONS]');
  let container = parts[0];
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1])) permissions = parts[1];
    else container = parts[1];
  } else if (parts.length === 3) {
    container = parts[1];
    permissions = parts[2];
  }
  if (!isAbs(container)) throw bad('device', value, `"${container}" must be an absolute path`);
  if (!/^[rwm]{1,3}$/.test(permissions)) throw bad('device', value, `bad permissions "${permissions}" (use r, w, m)`);
  return { host: parts[0], container, permissions };
}

/** Capability names as the runtime wants them (CAP_X), or ALL. */
export function normalizeCap(value: string, flag: string): string {
  const up = value.toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!Object.hasOwn(CAPABILITIES, name)) throw bad(flag, value, 'unknown capability');
  return name;
}

function keyValue(value: string, flag: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw bad(flag, value, 'expected KEY=VALUE');
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** `-e K=V` or `-e K` (taken from our environment, dropped when unset), as docker does. */
export function parseEnv(value: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value.startsWith('=') || value === '') throw bad('env', value, 'variable name is empty');
  if (value.includes('=')) return value;
  return env[value] === undefined ? undefined : `${value}=${env[value]}`;
}

export function readEnvFile(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? new HakoError(`--env-file ${file}: no such file`) : asHakoError(`--env-file ${file}`, e);
  }
  const out: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '').replace(/\r$/, '');
    if (!line || line.startsWith('#')) return;
    if (/\s/.test(line.split('=')[0])) throw new HakoError(`--env-file ${file}: line ${i + 1}: variable "${line.split('=')[0]}" contains whitespace`);
    const v = parseEnv(line, env);
    if (v) out.push(v);
  });
  return out;
}

/** Parses `run`/`create` arguments: flags, then IMAGE, then the command. A bad flag or value exits
 *  125, as docker's (exit-codes.ts). */
export function parseRunArgs(args: string[], command = 'run'): RunOptions {
  try {
    return readRunArgs(args, command);
  } catch (e) {
    throw usageFailure(e);
  }
}

const HOST_NAME_RE = /^[a-zA-Z0-9_]([a-zA-Z0-9_.-]{0,252})$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const isIP = (s: string) => IPV4_RE.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));

/** --add-host, --dns, --dns-search, --dns-option, --network-alias: checked here, applied by the
 *  engine's network files (engine/network.ts). */
function readNetworkNames(opts: RunOptions, list: (k: string) => string[]): void {
  opts.addHosts = list('add-host').map((v) => {
    const at = v.search(/[:=]/);
    const [name, ip] = at < 0 ? [v, ''] : [v.slice(0, at), v.slice(at + 1)];
    if (!HOST_NAME_RE.test(name)) throw bad('add-host', v, `"${name}" is not a host name (expected NAME:IP)`);
    if (ip !== 'host-gateway' && !isIP(ip)) throw bad('add-host', v, `"${ip}" is not an IP address or host-gateway (expected NAME:IP)`);
    return { name, ip };
  });
  opts.dns = list('dns').map((v) => {
    if (!isIP(v)) throw bad('dns', v, 'not an IP address');
    return v;
  });
  opts.dnsSearch = list('dns-search').map((v) => {
    if (v !== '.' && !HOST_NAME_RE.test(v)) throw bad('dns-search', v, 'not a domain name');
    return v;
  });
  opts.dnsOptions = list('dns-option').map((v) => {
    if (!/^[a-z0-9_-]+(:\d+)?$/i.test(v)) throw bad('dns-option', v, 'expected OPTION or OPTION:N (ndots:2, edns0)');
    return v;
  });
  opts.networkAliases = [...list('network-alias'), ...list('alias')].map((v) => {
    if (!HOST_NAME_RE.test(v)) throw bad('network-alias', v, 'not a host name');
    return v;
  });
}

function readRunArgs(args: string[], command: string): RunOptions {
  const { flags, rest } = splitAtPositional(args, RUN_FLAGS);
  const { values: v } = parseFlags(command, flags, RUN_FLAGS);
  if (v.help) throw new HakoError(`usage: hako ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]`, 0);
  const [image, ...cmd] = rest;
  if (!image) throw new HakoError(`"hako ${command}" requires at least 1 argument: IMAGE [COMMAND] [ARG...]`);
  const list = (k: string) => (v[k] as string[] | undefined) ?? [];
  const str = (k: string) => v[k] as string | undefined;

  const opts: RunOptions = {
    image,
    command: cmd,
    interactive: Boolean(v.interactive),
    tty: Boolean(v.tty),
    rm: Boolean(v.rm),
    detach: Boolean(v.detach),
    env: [],
    envFiles: list('env-file'),
    volumes: [],
    publish: list('publish').map(parsePublish),
    publishAll: Boolean(v['publish-all']),
    network: str('network') ?? str('net') ?? '',
    ulimits: list('ulimit').map(parseUlimit),
    readOnly: Boolean(v['read-only']),
    capAdd: list('cap-add').map((c) => normalizeCap(c, 'cap-add')),
    capDrop: list('cap-drop').map((c) => normalizeCap(c, 'cap-drop')),
    privileged: Boolean(v.privileged),
    noNewPrivileges: false,
    devices: list('device').map(parseDevice),
    sysctls: {},
    init: Boolean(v.init),
    restart: v.restart ? parseRestart(str('restart')!) : { name: 'no' },
    labels: {},
  };
  readName(opts, str('name'));
  for (const f of opts.envFiles) opts.env.push(...readEnvFile(f));
  for (const e of list('env')) {
    const x = parseEnv(e);
    if (x) opts.env.push(x);
  }
  opts.volumes.push(...list('volume').map(parseVolume), ...list('mount').map(parseMount), ...list('tmpfs').map(parseTmpfs));
  const seen = new Set<string>();
  for (const vol of opts.volumes) {
    if (seen.has(vol.target)) throw new HakoError(`duplicate mount point: ${vol.target}`);
    seen.add(vol.target);
  }
  readNetworkNames(opts, list);
  readStaticAddresses(opts, str);
  readProcessSettings(opts, str);
  readLimits(opts, str);
  readSecurityAndLabels(opts, list, str);
  if (str('runtime') !== undefined) opts.runtime = str('runtime'); // checked by create (oci-runtime.ts)
  readRunExtras(opts, list, str, (k) => Boolean(v[k]), parseBytes);
  if (opts.rm && opts.restart.name !== 'no') throw new HakoError('conflicting options: cannot combine --restart and --rm');
  return opts; // -d --rm -i -t together is allowed, as docker allows it
}

type StrFlag = (k: string) => string | undefined;
type ListFlag = (k: string) => string[];

/** --name: docker's characters; a file name here (<root>/names/<name>), so NAME_MAX long at most. */
function readName(opts: RunOptions, name: string | undefined): void {
  if (name === undefined) return;
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(n)) throw bad('name', name, 'only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  // Docker sets no length limit; here the name is a file (<root>/names/<name>), so NAME_MAX is one.
  if (n.length > MAX_NAME_LENGTH) throw bad('name', name, `${n.length} characters, at most ${MAX_NAME_LENGTH}`);
  opts.name = n;
}

/** --hostname, --workdir, --user, --entrypoint. */
function readProcessSettings(opts: RunOptions, str: StrFlag): void {
  if (str('hostname') !== undefined) {
    const h = str('hostname')!;
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(h)) throw bad('hostname', h, 'not a valid hostname');
    opts.hostname = h;
  }
  if (str('workdir') !== undefined) {
    if (!isAbs(str('workdir')!)) throw bad('workdir', str('workdir')!, 'the working directory must be an absolute path');
    opts.workdir = str('workdir');
  }
  if (str('user') !== undefined) {
    if (!/^[^:\s]+(:[^:\s]+)?$/.test(str('user')!)) throw bad('user', str('user')!, 'expected USER[:GROUP]');
    opts.user = str('user');
  }
  if (str('entrypoint') !== undefined) opts.entrypoint = str('entrypoint');
}

/** --memory, --memory-swap, --cpus, --cpu-shares, --pids-limit. */
function readLimits(opts: RunOptions, str: StrFlag): void {
  if (str('memory') !== undefined) {
    opts.memory = parseBytes(str('memory')!, 'memory');
    if (opts.memory < 6 * 1024 * 1024) throw bad('memory', str('memory')!, 'the minimum memory limit is 6m');
  }
  if (str('memory-swap') !== undefined) {
    const s = str('memory-swap')!;
    opts.memorySwap = s === '-1' ? -1 : parseBytes(s, 'memory-swap');
    if (opts.memory === undefined) throw new HakoError('--memory-swap needs --memory as well');
    if (opts.memorySwap !== -1 && opts.memorySwap < opts.memory) throw bad('memory-swap', s, 'must be at least --memory (it counts memory plus swap)');
  }
  if (str('cpus') !== undefined) {
    const s = str('cpus')!;
    if (!/^\d+(\.\d+)?$/.test(s) || Number(s) <= 0) throw bad('cpus', s, 'expected a positive number of CPUs such as 0.5');
    if (Number(s) > os.availableParallelism())
      throw bad('cpus', s, `range of CPUs is from 0.01 to ${os.availableParallelism()}.00, as there are only ${os.availableParallelism()} CPUs available`);
    opts.cpus = Number(s);
  }
  if (str('cpu-shares') !== undefined) opts.cpuShares = parseIntFlag(str('cpu-shares')!, 'cpu-shares', 2);
  if (str('pids-limit') !== undefined) opts.pidsLimit = parseIntFlag(str('pids-limit')!, 'pids-limit', -1);
}

/** --security-opt, --sysctl, --label, --userns, --stop-signal, --stop-timeout. */
function readSecurityAndLabels(opts: RunOptions, list: ListFlag, str: StrFlag): void {
  for (const s of list('security-opt')) {
    const [k, val] = s.includes('=') ? keyValue(s, 'security-opt') : (s.split(':') as [string, string?]);
    if (k === 'seccomp') {
      if (!val) throw bad('security-opt', s, 'seccomp needs a profile file or "unconfined"');
      opts.seccomp = val;
    } else if (k === 'no-new-privileges') {
      if (val !== undefined && val !== 'true' && val !== 'false') throw bad('security-opt', s, 'no-new-privileges takes true or false');
      opts.noNewPrivileges = val !== 'false';
    } else if (k === 'apparmor' && val === 'unconfined') {
      /* no AppArmor profile is applied by hako: unconfined is what we do anyway */
    } else if (k === 'label' && val === 'disable') {
      /* no SELinux labels are applied by hako */
    } else throw bad('security-opt', s, 'supported: seccomp=<file>|unconfined, no-new-privileges[=true|false], apparmor=unconfined, label=disable');
  }
  for (const s of list('sysctl')) {
    const [k, val] = keyValue(s, 'sysctl');
    opts.sysctls[k] = val;
  }
  for (const s of list('label')) {
    const eq = s.indexOf('=');
    opts.labels[eq < 0 ? s : s.slice(0, eq)] = eq < 0 ? '' : s.slice(eq + 1);
  }
  if (str('userns') !== undefined) {
    if (!['host', '', 'keep-id'].includes(str('userns')!)) throw bad('userns', str('userns')!, 'expected host, or keep-id (rootless)');
    if (str('userns') === 'keep-id' && process.geteuid?.() === 0) throw bad('userns', 'keep-id', 'keep-id is for rootless containers (as podman)');
    opts.userns = str('userns');
  }
  if (str('stop-signal') !== undefined) {
    try {
      parseSignal(str('stop-signal')!);
    } catch {
      throw bad('stop-signal', str('stop-signal')!, 'unknown signal');
    }
    opts.stopSignal = str('stop-signal');
  }
  if (str('stop-timeout') !== undefined) opts.stopTimeout = parseIntFlag(str('stop-timeout')!, 'stop-timeout', -1);
}
