// The instructions that change only the image config: ENV, LABEL, USER, CMD, ENTRYPOINT, EXPOSE,
// VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, MAINTAINER, ONBUILD (stored, not triggered), and the
// config side of WORKDIR. Values are expanded as the Dockerfile reference says (expand.ts).
import { HakoError } from '../util/errors.js';
import { parseSignal } from '../oci/names.js';
import type { ContainerConfig } from '../oci/image/types.js';
import { expandWord, expandWords, keyValues, type Vars } from './expand.js';
import type { Instruction } from './dockerfile.js';

/** The image config fields a build writes, beyond what the engine reads. */
export interface BuildConfig extends ContainerConfig {
  Shell?: string[];
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  OnBuild?: string[];
}

export interface MetaContext {
  config: BuildConfig;
  vars: Vars;
  escape: string;
  shell: string[];
  /** CMD set by this stage (ENTRYPOINT then keeps it; else an ENTRYPOINT drops the base's CMD). */
  cmdSet: boolean;
  author?: string;
}

/** Applies a config-only instruction; false when `ins` is not one. */
export function applyMetadata(ins: Instruction, m: MetaContext): boolean {
  const c = m.config;
  const word = () => expandWord(ins.args, m.vars, m.escape);
  switch (ins.keyword) {
    case 'ENV':
      for (const [k, v] of keyValues(ins.args, m.vars, m.escape, true)) setEnv(c, k, v ?? missing(ins, k));
      return true;
    case 'LABEL':
      for (const [k, v] of keyValues(ins.args, m.vars, m.escape, false)) (c.Labels ??= {})[k] = v ?? missing(ins, k);
      return true;
    case 'USER':
      c.User = word();
      return true;
    case 'STOPSIGNAL': {
      const s = word();
      try {
        parseSignal(s);
      } catch {
        throw new HakoError(`STOPSIGNAL ${JSON.stringify(s)}: not a signal`);
      }
      c.StopSignal = s;
      return true;
    }
    case 'CMD':
      c.Cmd = command(ins, m.shell);
      m.cmdSet = true;
      return true;
    case 'ENTRYPOINT':
      c.Entrypoint = command(ins, m.shell);
      if (!m.cmdSet) c.Cmd = null; // docker: an ENTRYPOINT resets the CMD inherited from the base
      return true;
    case 'EXPOSE':
      for (const p of expandWords(ins.args, m.vars, m.escape)) for (const port of exposed(p)) (c.ExposedPorts ??= {})[port] = {};
      return true;
    case 'VOLUME':
      for (const v of ins.json ?? expandWords(ins.args, m.vars, m.escape)) (c.Volumes ??= {})[v] = {};
      return true;
    case 'SHELL':
      c.Shell = ins.json!;
      m.shell = ins.json!;
      return true;
    case 'HEALTHCHECK':
      c.Healthcheck = healthcheck(ins, m.shell);
      return true;
    case 'MAINTAINER':
      m.author = word();
      return true;
    case 'ONBUILD':
      (c.OnBuild ??= []).push(ins.args);
      return true;
  }
  return false;
}

function missing(ins: Instruction, key: string): never {
  throw new HakoError(`${ins.keyword} ${key}: needs ${key}=VALUE`);
}

function setEnv(c: BuildConfig, key: string, value: string): void {
  const env = (c.Env ??= []).filter((e) => e.split('=')[0] !== key);
  env.push(`${key}=${value}`);
  c.Env = env;
}

/** The exec form as written, or the shell form run by the stage's SHELL. */
export function command(ins: Instruction, shell: string[]): string[] {
  return ins.json ?? [...shell, ins.args];
}

/** EXPOSE 80, 80/tcp, 53/udp, 8000-8002: the config's "port/proto" keys. */
function exposed(p: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
  if (!m) throw new HakoError(`EXPOSE ${JSON.stringify(p)}: expected PORT[-PORT][/tcp|udp|sctp]`);
  const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
  if (from < 1 || to > 65535 || to < from) throw new HakoError(`EXPOSE ${JSON.stringify(p)}: ports are 1 to 65535`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}/${proto}`);
}

/** docker's duration syntax (30s, 1m30s, 500ms) in nanoseconds. */
function duration(flag: string, v: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let used = 0;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * units[m[2]!]!;
    used = re.lastIndex;
  }
  if (!v || used !== v.length) throw new HakoError(`HEALTHCHECK --${flag}=${v}: expected a duration such as 30s`);
  return Math.round(total);
}

function healthcheck(ins: Instruction, shell: string[]): BuildConfig['Healthcheck'] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.args)!;
  const kind = m[1]!.toUpperCase();
  if (kind === 'NONE') return { Test: ['NONE'] };
  if (kind !== 'CMD') throw new HakoError('HEALTHCHECK: expected NONE or CMD …');
  const rest = m[2]!;
  let test: string[];
  try {
    const j = JSON.parse(rest) as unknown;
    test = Array.isArray(j) && j.every((s) => typeof s === 'string') ? ['CMD', ...j] : ['CMD-SHELL', rest];
  } catch {
    test = ['CMD-SHELL', rest];
  }
  void shell;
  const hc: NonNullable<BuildConfig['Healthcheck']> = { Test: test };
  const f = ins.flags;
  if (f.interval !== undefined) hc.Interval = duration('interval', f.interval);
  if (f.timeout !== undefined) hc.Timeout = duration('timeout', f.timeout);
  if (f['start-period'] !== undefined) hc.StartPeriod = duration('start-period', f['start-period']);
  if (f['start-interval'] !== undefined) hc.StartInterval = duration('start-interval', f['start-interval']);
  if (f.retries !== undefined) {
    if (!/^\d+$/.test(f.retries)) throw new HakoError(`HEALTHCHECK --retries=${f.retries}: expected a number`);
    hc.Retries = Number(f.retries);
  }
  return hc;
}
