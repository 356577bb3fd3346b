// A CNI (Container Network Interface) executor: runs the plugin binaries of a network configuration
// list (conflist) as the CNI spec's "runtime" does (spec 1.0.0, also 0.4.0):
//  - every plugin gets its config on stdin with the list's `name` and `cniVersion` injected, the
//    previous plugin's result as `prevResult`, and `runtimeConfig` filled only with the capabilities
//    it declares (portMappings, aliases ...);
//  - parameters go in the environment: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
//    CNI_ARGS ("K=V;K2=V2"), CNI_PATH (where plugins find their own delegates, e.g. bridge -> host-local);
//  - ADD runs the plugins in order and returns the last result; DEL runs them in reverse with the
//    cached ADD result as prevResult and goes on past failures (DEL must be best-effort); CHECK runs
//    in order with the ADD result;
//  - a failing plugin exits non-zero and prints {cniVersion, code, msg, details} on stdout: it
//    becomes one CniError line naming the network, the plugin and the message.
// Plugins are the ecosystem's binaries (Debian's containernetworking-plugins in /usr/lib/cni).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { HakoError } from '../util/errors.js';

export const DEFAULT_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];
/** Versions we write and understand; Debian's plugins (1.1.x) support both. */
export const SUPPORTED_CNI_VERSIONS = ['1.0.0', '0.4.0'];
const DEFAULT_TIMEOUT_MS = 60_000;

export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
  disableCheck?: boolean;
  [key: string]: unknown;
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
  mtu?: number;
}
export interface CniIPConfig {
  address: string;
  gateway?: string;
  interface?: number;
  version?: string;
}
export interface CniRoute {
  dst: string;
  gw?: string;
}
export interface CniDNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIPConfig[];
  routes?: CniRoute[];
  dns?: CniDNS;
}

export interface RuntimeConf {
  containerId: string;
  /** Path of the network namespace file (/proc/<pid>/ns/net or a bind mount); '' when it is gone (DEL only). */
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs. */
  args?: Record<string, string>;
  /** Values for plugin capabilities, e.g. { portMappings: [...] }: passed as runtimeConfig only to plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
}

/** Well-known CNI error codes (spec section "Error"). */
export const CNI_ERROR_CODES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
};

export class CniError extends HakoError {
  constructor(
    readonly network: string,
    readonly plugin: string,
    readonly command: string,
    readonly code: number | undefined,
    readonly msg: string,
    readonly details?: string,
    /** For an ADD that failed part-way: the last result of the plugins before it, which DEL needs. */
    public partialResult?: CniResult,
  ) {
    const codeText = code === undefined ? '' : ` (CNI error ${code}${CNI_ERROR_CODES[code] ? `: ${CNI_ERROR_CODES[code]}` : ''})`;
    super(`network "${network}": CNI plugin ${plugin} ${command} failed: ${msg}${details && details !== msg ? `: ${details}` : ''}${codeText}`);
    this.name = 'CniError';
  }
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Validates a parsed conflist; `source` names the file in error messages. */
export function validateConfList(value: unknown, source: string): ConfList {
  const fail = (field: string, problem: string): never => {
    throw new HakoError(`${source}: ${field}: ${problem}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('(top level)', 'must be a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || !NAME_RE.test(v.name)) fail('name', 'must be a name of letters, digits, "_", "." and "-"');
  if (typeof v.cniVersion !== 'string') fail('cniVersion', 'missing');
  if (!SUPPORTED_CNI_VERSIONS.includes(v.cniVersion as string)) {
    fail('cniVersion', `"${String(v.cniVersion)}" is not supported (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`);
  }
  if (!Array.isArray(v.plugins) || v.plugins.length === 0) fail('plugins', 'must be a non-empty array');
  (v.plugins as unknown[]).forEach((p, i) => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) fail(`plugins[${i}]`, 'must be an object');
    const t = (p as Record<string, unknown>).type;
    if (typeof t !== 'string' || !/^[a-zA-Z0-9_.-]+$/.test(t)) fail(`plugins[${i}].type`, 'must be a plugin executable name');
  });
  return v as ConfList;
}

export function parseConfList(text: string, source: string): ConfList {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HakoError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  return validateConfList(value, source);
}

export function loadConfList(file: string): ConfList {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new HakoError(`${file}: cannot read network configuration: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfList(text, file);
}

/** The stdin JSON of one plugin invocation (libcni's buildOneConfig). */
export function pluginStdin(list: ConfList, plugin: PluginConf, rt: RuntimeConf, prevResult?: CniResult): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on && rt.capabilityArgs && rt.capabilityArgs[cap] !== undefined) runtimeConfig[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  if (prevResult) conf.prevResult = prevResult;
  return conf;
}

export function pluginEnv(command: string, rt: RuntimeConf, pluginDirs: string[]): Record<string, string> {
  const args = Object.entries(rt.args ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_ARGS: args,
    CNI_PATH: pluginDirs.join(':'),
    // portmap, firewall and bridge (ipMasq) run iptables from PATH.
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
}

/** Parses an ADD result; anything that is not a result object is a plugin error. */
export function parseResult(stdout: string, network: string, plugin: string): CniResult {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw new CniError(network, plugin, 'ADD', undefined, `result is not JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CniError(network, plugin, 'ADD', undefined, 'result is not a JSON object');
  }
  const r = value as Record<string, unknown>;
  if (typeof r.cniVersion !== 'string') throw new CniError(network, plugin, 'ADD', undefined, 'result has no cniVersion');
  for (const key of ['interfaces', 'ips', 'routes'] as const) {
    if (r[key] !== undefined && !Array.isArray(r[key])) throw new CniError(network, plugin, 'ADD', undefined, `result field ${key} is not an array`);
  }
  for (const [i, ip] of ((r.ips as unknown[]) ?? []).entries()) {
    if (!ip || typeof (ip as CniIPConfig).address !== 'string')
      throw new CniError(network, plugin, 'ADD', undefined, `result field ips[${i}].address is missing`);
  }
  return r as unknown as CniResult;
}

/** Maps a failed invocation (non-zero exit) to a CniError, using the CNI error JSON when there is one. */
export function errorFromOutput(network: string, plugin: string, command: string, stdout: string, stderr: string, status: string): CniError {
  try {
    const e = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (e && typeof e === 'object' && typeof e.msg === 'string') {
      return new CniError(
        network,
        plugin,
        command,
        typeof e.code === 'number' ? e.code : undefined,
        e.msg,
        typeof e.details === 'string' && e.details ? e.details : undefined,
      );
    }
  } catch {
    /* not JSON: fall through */
  }
  const text = (stdout.trim() || stderr.trim()).split('\n').pop() ?? '';
  return new CniError(network, plugin, command, undefined, text ? `${status}: ${text}` : status);
}

export interface ExecutorOptions {
  pluginDirs?: string[];
  timeoutMs?: number;
}

interface RunOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

export class CniExecutor {
  readonly pluginDirs: string[];
  private readonly timeoutMs: number;

  constructor(opts: ExecutorOptions = {}) {
    this.pluginDirs = opts.pluginDirs ?? DEFAULT_PLUGIN_DIRS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The executable of plugin `type`: the first match in the plugin directories. */
  findPlugin(type: string): string {
    for (const dir of this.pluginDirs) {
      const file = path.join(dir, type);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        /* not here */
      }
    }
    throw new HakoError(`CNI plugin "${type}" not found in ${this.pluginDirs.join(', ')} (install containernetworking-plugins)`);
  }

  /** ADD: each plugin in order; the result of one is the prevResult of the next. */
  async add(list: ConfList, rt: RuntimeConf): Promise<CniResult> {
    let prev: CniResult | undefined;
    for (const plugin of list.plugins) {
      try {
        const out = await this.invoke('ADD', list, plugin, rt, prev);
        prev = parseResult(out, list.name, plugin.type);
      } catch (e) {
        // The plugins before this one did their part: their DEL needs what they returned.
        if (e instanceof CniError) e.partialResult = prev;
        throw e;
      }
    }
    return prev!;
  }

  /** DEL: each plugin in reverse order, all of them even if some fail; returns the failures. */
  async del(list: ConfList, rt: RuntimeConf, prevResult?: CniResult): Promise<CniError[]> {
    const errors: CniError[] = [];
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.invoke('DEL', list, plugin, rt, prevResult);
      } catch (e) {
        errors.push(e instanceof CniError ? e : new CniError(list.name, plugin.type, 'DEL', undefined, (e as Error).message));
      }
    }
    return errors;
  }

  /** CHECK: each plugin in order with the ADD result; throws the first failure. */
  async check(list: ConfList, rt: RuntimeConf, prevResult: CniResult): Promise<void> {
    if (list.disableCheck) return;
    for (const plugin of list.plugins) await this.invoke('CHECK', list, plugin, rt, prevResult);
  }

  private async invoke(command: string, list: ConfList, plugin: PluginConf, rt: RuntimeConf, prev?: CniResult): Promise<string> {
    let exe: string;
    try {
      exe = this.findPlugin(plugin.type);
    } catch (e) {
      throw new CniError(list.name, plugin.type, command, undefined, (e as Error).message);
    }
    const stdin = JSON.stringify(pluginStdin(list, plugin, rt, prev));
    const r = await this.run(exe, pluginEnv(command, rt, this.pluginDirs), stdin);
    if (r.error) throw new CniError(list.name, plugin.type, command, undefined, r.error.message);
    if (r.code !== 0) {
      const status = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
      throw errorFromOutput(list.name, plugin.type, command, r.stdout, r.stderr, status);
    }
    return r.stdout;
  }

  private run(exe: string, env: Record<string, string>, stdin: string): Promise<RunOutput> {
    return new Promise((resolve) => {
      const child = spawn(exe, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.stdin.on('error', () => {
        /* plugin exited before reading: its status tells */
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, stdout, stderr, error });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, error: timedOut ? new Error(`timed out after ${this.timeoutMs} ms`) : undefined });
      });
      child.stdin.end(stdin);
    });
  }
}
