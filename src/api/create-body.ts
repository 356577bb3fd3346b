// docker's container create body (ContainerConfig + HostConfig + NetworkingConfig) as the engine's
// RunOptions. The body is translated into the `run` flags it means and read by the engine's own
// parser (parseRunArgs), so every value is checked exactly as `hako run` checks it. What hako does
// not do is named in the answer's Warnings instead of being dropped silently.
import { parseRunArgs } from '../engine/flags.js';
import type { RunOptions } from '../engine/types.js';
import { badRequest } from './errors.js';

type Json = Record<string, unknown>;

/** The value at `field` of `obj`, checked to be of `type` (or absent: undefined, null). */
function field<T>(obj: Json, field: string, type: 'string' | 'number' | 'boolean' | 'array' | 'object', where = ''): T | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? typeof v === 'object' && !Array.isArray(v) : typeof v === type;
  if (!ok)
    throw badRequest(`${where}${field}: expected ${type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`}, got ${JSON.stringify(v).slice(0, 60)}`);
  return v as T;
}

function strings(obj: Json, name: string, where = ''): string[] {
  const v = field<unknown[]>(obj, name, 'array', where) ?? [];
  for (const s of v) if (typeof s !== 'string') throw badRequest(`${where}${name}: expected a list of strings`);
  return v as string[];
}

/** The fields of HostConfig and the body that hako takes; others that are set become warnings. */
const HANDLED_HOST = new Set(
  'Binds PortBindings PublishAllPorts NetworkMode AutoRemove RestartPolicy Memory MemorySwap NanoCpus CpuShares PidsLimit CapAdd CapDrop Privileged ReadonlyRootfs SecurityOpt Mounts Tmpfs Dns DnsSearch DnsOptions ExtraHosts Devices Sysctls Ulimits Init Runtime UsernsMode LogConfig'.split(
    ' ',
  ),
);

/** A field is "set" when it is not docker's zero value (clients send every field, mostly empty). */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** `run` flags for the HostConfig part. */
function hostFlags(h: Json, warnings: string[]): string[] {
  const w = 'HostConfig.';
  const f: string[] = [];
  for (const b of strings(h, 'Binds', w)) f.push('--volume', b);
  for (const [port, list] of Object.entries(field<Json>(h, 'PortBindings', 'object', w) ?? {})) {
    for (const b of (Array.isArray(list) ? list : [{}]) as Json[]) {
      const ip = typeof b?.HostIp === 'string' && b.HostIp ? (b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp) : '';
      const hostPort = typeof b?.HostPort === 'string' && b.HostPort !== '0' ? b.HostPort : '';
      f.push('--publish', ip ? `${ip}:${hostPort}:${port}` : `${hostPort}:${port}`);
    }
  }
  if (field(h, 'PublishAllPorts', 'boolean', w)) f.push('--publish-all');
  const mode = field<string>(h, 'NetworkMode', 'string', w);
  if (mode && mode !== 'default') f.push('--network', mode);
  if (field(h, 'AutoRemove', 'boolean', w)) f.push('--rm');
  const rp = field<Json>(h, 'RestartPolicy', 'object', w);
  const rpName = rp && field<string>(rp, 'Name', 'string', `${w}RestartPolicy.`);
  if (rpName) f.push('--restart', rpName === 'on-failure' && rp.MaximumRetryCount ? `on-failure:${rp.MaximumRetryCount}` : rpName);
  const num = (name: string) => field<number>(h, name, 'number', w);
  if (num('Memory')) f.push('--memory', String(num('Memory')));
  if (num('MemorySwap')) f.push('--memory-swap', String(num('MemorySwap')));
  if (num('NanoCpus')) f.push('--cpus', String(num('NanoCpus')! / 1e9));
  if (num('CpuShares')) f.push('--cpu-shares', String(num('CpuShares')));
  if ((num('PidsLimit') ?? 0) > 0) f.push('--pids-limit', String(num('PidsLimit')));
  for (const c of strings(h, 'CapAdd', w)) f.push('--cap-add', c);
  for (const c of strings(h, 'CapDrop', w)) f.push('--cap-drop', c);
  if (field(h, 'Privileged', 'boolean', w)) f.push('--privileged');
  if (field(h, 'ReadonlyRootfs', 'boolean', w)) f.push('--read-only');
  for (const s of strings(h, 'SecurityOpt', w)) f.push('--security-opt', s);
  for (const m of field<Json[]>(h, 'Mounts', 'array', w) ?? []) f.push('--mount', mountFlag(m));
  for (const [path, opts] of Object.entries(field<Json>(h, 'Tmpfs', 'object', w) ?? {})) f.push('--tmpfs', opts ? `${path}:${opts}` : path);
  for (const d of strings(h, 'Dns', w)) f.push('--dns', d);
  for (const d of strings(h, 'DnsSearch', w)) f.push('--dns-search', d);
  for (const d of strings(h, 'DnsOptions', w)) f.push('--dns-option', d);
  for (const x of strings(h, 'ExtraHosts', w)) f.push('--add-host', x);
  for (const d of (field<Json[]>(h, 'Devices', 'array', w) ?? []) as Json[])
    f.push('--device', [d.PathOnHost, d.PathInContainer || d.PathOnHost, d.CgroupPermissions || 'rwm'].join(':'));
  for (const [k, v] of Object.entries(field<Json>(h, 'Sysctls', 'object', w) ?? {})) f.push('--sysctl', `${k}=${v}`);
  for (const u of (field<Json[]>(h, 'Ulimits', 'array', w) ?? []) as Json[]) f.push('--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`);
  if (field(h, 'Init', 'boolean', w)) f.push('--init');
  const runtime = field<string>(h, 'Runtime', 'string', w);
  if (runtime && runtime !== 'runc' && runtime !== 'default') f.push('--runtime', runtime);
  const userns = field<string>(h, 'UsernsMode', 'string', w);
  if (userns) f.push('--userns', userns);
  for (const [k, v] of Object.entries(h)) if (!HANDLED_HOST.has(k) && isSet(v)) warnings.push(`HostConfig.${k} is not supported by hako and was ignored`);
  return f;
}

/** A Mounts entry as `--mount`'s value. */
function mountFlag(m: Json): string {
  const parts = [`type=${m.Type ?? 'volume'}`];
  if (m.Source) parts.push(`source=${m.Source}`);
  parts.push(`target=${m.Target ?? ''}`);
  if (m.ReadOnly) parts.push('readonly');
  const tmpfs = (m.TmpfsOptions ?? {}) as Json;
  if (tmpfs.SizeBytes) parts.push(`tmpfs-size=${tmpfs.SizeBytes}`);
  if (tmpfs.Mode) parts.push(`tmpfs-mode=${Number(tmpfs.Mode).toString(8)}`);
  const prop = (m.BindOptions as Json | undefined)?.Propagation;
  if (prop) parts.push(`bind-propagation=${prop}`);
  for (const p of parts)
    if (p.split('=').length > 2 || /,/.test(p))
      throw badRequest(`HostConfig.Mounts: ${JSON.stringify(p)}: commas and "=" in a mount's fields are not supported`);
  return parts.join(',');
}

/** `run` flags for the container part (Env, Cmd and Entrypoint are set on the options directly). */
function configFlags(b: Json): string[] {
  const f: string[] = [];
  if (field(b, 'OpenStdin', 'boolean')) f.push('--interactive');
  if (field(b, 'Tty', 'boolean')) f.push('--tty');
  const str = (name: string, flag: string) => {
    const v = field<string>(b, name, 'string');
    if (v) f.push(flag, v);
  };
  str('Hostname', '--hostname');
  str('User', '--user');
  str('WorkingDir', '--workdir');
  str('StopSignal', '--stop-signal');
  const stopTimeout = field<number>(b, 'StopTimeout', 'number');
  if (stopTimeout !== undefined) f.push('--stop-timeout', String(stopTimeout));
  for (const [k, v] of Object.entries(field<Json>(b, 'Labels', 'object') ?? {})) f.push('--label', `${k}=${v}`);
  return f;
}

/** The endpoint settings of the container's network (compose's service-name aliases). */
function networkFlags(b: Json, mode: string | undefined): string[] {
  const endpoints = field<Json>(b, 'NetworkingConfig', 'object')?.EndpointsConfig as Record<string, Json> | undefined;
  const f: string[] = [];
  for (const [name, ep] of Object.entries(endpoints ?? {})) {
    if (mode && name !== mode) continue;
    for (const a of strings(ep ?? {}, 'Aliases', `NetworkingConfig.EndpointsConfig.${name}.`)) f.push('--network-alias', a);
  }
  return f;
}

/** The create body (and `?name=`) as RunOptions; Warnings for what was set but is not done. */
export function runOptionsFromBody(body: unknown, name: string | null): { opts: RunOptions; warnings: string[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest("the body must be a JSON object (docker's container config)");
  const b = body as Json;
  const image = field<string>(b, 'Image', 'string');
  if (!image) throw badRequest('Image: a container needs an image');
  const host = field<Json>(b, 'HostConfig', 'object') ?? {};
  const warnings: string[] = [];
  const flags = [...configFlags(b), ...hostFlags(host, warnings), ...networkFlags(b, host.NetworkMode as string | undefined)];
  if (name) flags.push('--name', name);
  const cmd = strings(b, 'Cmd');
  const opts = parseRunArgs([...flags, '--', image, ...cmd], 'create');
  const entrypoint = b.Entrypoint === undefined || b.Entrypoint === null ? [] : typeof b.Entrypoint === 'string' ? [b.Entrypoint] : strings(b, 'Entrypoint');
  if (entrypoint.length) opts.entrypoint = entrypoint;
  // Env as given: `K=V` entries (a bare `K` would take the value of hako's own environment in `run`).
  opts.env.push(...strings(b, 'Env').filter((e) => e.includes('=')));
  opts.expose = Object.keys(field<Json>(b, 'ExposedPorts', 'object') ?? {}).map((p) => (p.includes('/') ? p : `${p}/tcp`));
  for (const k of ['Healthcheck', 'Volumes', 'Shell', 'OnBuild']) if (isSet(b[k])) warnings.push(`${k} is not supported by hako and was ignored`);
  return { opts, warnings };
}
