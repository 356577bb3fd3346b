// `run`/`create` flags beyond the process and its resources: --shm-size, --label-file, --cidfile,
// --pull, --platform, --log-driver/--log-opt and the health check's (docker's names and checks;
// flags.ts calls readRunExtras once the rest is read).
import fs from 'node:fs';
import { HakoError, asHakoError } from '../util/errors.js';
import { readNamespaceFlags } from './namespace-join.js';
import type { HealthConfig, RunOptions } from './types.js';

type List = (k: string) => string[];
type Str = (k: string) => string | undefined;

export const EXTRA_FLAGS = {
  'shm-size': { type: 'string' },
  'label-file': { type: 'string', multiple: true },
  cidfile: { type: 'string' },
  pull: { type: 'string' },
  platform: { type: 'string' },
  'log-driver': { type: 'string' },
  'log-opt': { type: 'string', multiple: true },
  'health-cmd': { type: 'string' },
  'health-interval': { type: 'string' },
  'health-retries': { type: 'string' },
  'health-start-period': { type: 'string' },
  'health-timeout': { type: 'string' },
  'no-healthcheck': { type: 'boolean' },
  pod: { type: 'string' },
  uts: { type: 'string' },
  ipc: { type: 'string' },
} as const;

const bad = (flag: string, value: string, why: string) => new HakoError(`invalid argument ${JSON.stringify(value)} for "--${flag}" flag: ${why}`);

export function readRunExtras(opts: RunOptions, list: List, str: Str, bool: (k: string) => boolean, parseBytes: (v: string, f: string) => number): void {
  const shm = str('shm-size');
  if (shm !== undefined) {
    opts.shmSize = parseBytes(shm, 'shm-size');
    if (opts.shmSize <= 0) throw bad('shm-size', shm, 'must be greater than 0');
  }
  const fromFiles: Record<string, string> = {};
  for (const f of list('label-file')) Object.assign(fromFiles, readLabelFile(f));
  opts.labels = { ...fromFiles, ...opts.labels }; // --label wins over a file, as docker's
  const cid = str('cidfile');
  if (cid !== undefined) {
    if (!cid) throw bad('cidfile', cid, 'a file name is needed');
    opts.cidfile = cid;
  }
  const pull = str('pull');
  if (pull !== undefined) {
    if (pull !== 'always' && pull !== 'missing' && pull !== 'never') throw bad('pull', pull, 'expected always, missing or never');
    opts.pull = pull;
  }
  if (str('platform')) opts.platform = str('platform');
  readLogFlags(opts, list, str);
  readHealthFlags(opts, str, bool);
  readNamespaceFlags(opts, str);
}

/** docker's label file: KEY=VALUE lines (a KEY alone is an empty label), `#` comments, blank lines. */
export function readLabelFile(file: string): Record<string, string> {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new HakoError(`--label-file ${file}: not a regular file`);
    if (st.size > 1 << 20) throw new HakoError(`--label-file ${file}: ${st.size} bytes, at most 1 MiB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof HakoError) throw e;
    throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? new HakoError(`--label-file ${file}: no such file`) : asHakoError(`--label-file ${file}`, e);
  }
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    out[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? '' : line.slice(eq + 1);
  }
  return out;
}

function readLogFlags(opts: RunOptions, list: List, str: Str): void {
  const driver = str('log-driver');
  if (driver !== undefined) {
    // json-file and k8s-file both mean conmon's k8s-file log, which carries json-file's fields.
    if (!['json-file', 'k8s-file', 'none'].includes(driver)) throw bad('log-driver', driver, 'supported: json-file, k8s-file, none');
    opts.logDriver = driver as RunOptions['logDriver'];
  }
  for (const o of list('log-opt')) {
    const eq = o.indexOf('=');
    const [k, v] = eq < 0 ? [o, ''] : [o.slice(0, eq), o.slice(eq + 1)];
    if (opts.logDriver === 'none') throw bad('log-opt', o, 'the none driver takes no options');
    if (k === 'max-size') {
      if (!/^\d+(\.\d+)?[kmg]?b?$/i.test(v)) throw bad('log-opt', o, 'max-size is a size such as 10m');
      const n = parseFloat(v) * ({ k: 1e3, m: 1e6, g: 1e9 }[v.replace(/[\d.b]/gi, '').toLowerCase()] ?? 1);
      opts.logMaxSize = Math.floor(n);
      if (opts.logMaxSize < 1) throw bad('log-opt', o, 'max-size must be at least 1 byte');
    } else if (k === 'max-file') {
      if (!/^[1-9]\d{0,5}$/.test(v)) throw bad('log-opt', o, 'max-file is a whole number of at least 1');
      opts.logMaxFile = Number(v);
    } else throw bad('log-opt', o, 'supported: max-size, max-file');
  }
  if (opts.logMaxFile !== undefined && opts.logMaxSize === undefined) throw new HakoError('--log-opt max-file needs max-size as well');
}

/** Go's time.ParseDuration for the health flags: `30s`, `1m30s`, `500ms`, `1h`. */
export function parseDuration(value: string, flag: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (value === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let end = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    ms += Number(m[1]) * units[m[2]];
    end = re.lastIndex;
  }
  if (!value || end !== value.length) throw bad(flag, value, 'expected a duration such as 30s, 1m30s or 500ms');
  if (ms > 24 * 3_600_000 * 365) throw bad(flag, value, 'longer than a year');
  return ms;
}

function readHealthFlags(opts: RunOptions, str: Str, bool: (k: string) => boolean): void {
  const h: Partial<HealthConfig> = {};
  const cmd = str('health-cmd');
  if (cmd !== undefined) h.test = ['CMD-SHELL', cmd];
  const durations: [string, 'intervalMs' | 'timeoutMs' | 'startPeriodMs'][] = [
    ['health-interval', 'intervalMs'],
    ['health-timeout', 'timeoutMs'],
    ['health-start-period', 'startPeriodMs'],
  ];
  for (const [flag, key] of durations) {
    const v = str(flag);
    if (v !== undefined) h[key] = parseDuration(v, flag); // 0: the default, as docker's
  }
  const retries = str('health-retries');
  if (retries !== undefined) {
    if (!/^\d{1,6}$/.test(retries) || Number(retries) < 1) throw bad('health-retries', retries, 'must be a whole number of at least 1');
    h.retries = Number(retries);
  }
  if (bool('no-healthcheck')) {
    if (Object.keys(h).length) throw new HakoError('--no-healthcheck conflicts with --health-* options');
    opts.healthcheck = { test: ['NONE'] };
  } else if (Object.keys(h).length) opts.healthcheck = h;
}
