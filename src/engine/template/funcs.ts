// The functions of docker's --format templates: Go's built-ins (and, or, not, len, index, slice,
// print, printf, println, eq, ne, lt, le, gt, ge, urlquery) and docker's own (json, join, split,
// lower, upper, title, pad, truncate), with Go's way of printing values (fmt's %v).
import { TemplateError } from './lex.js';

export type Fn = (...args: unknown[]) => unknown;

/** Go's `%v` of a JSON-shaped value: `[a b]` lists, `map[k:v]` objects (keys sorted), `<nil>`. */
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** Go's truth: false, 0, nil, and empty strings, lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

const fail = (name: string, why: string) => new TemplateError(`template: :1: error calling ${name}: ${why}`);

function str(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw fail(name, `wrong type for value; expected string; got ${goType(v)}`);
}

function int(name: string, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw fail(name, `wrong type for value; expected int; got ${goType(v)}`);
}

function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float64') : typeof v === 'boolean' ? 'bool' : 'string';
}

function compare(name: string, a: unknown, b: unknown): number {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string'))
    throw fail(name, `incompatible types for comparison: ${goType(a)} and ${goType(b)}`);
  return (a as number) < (b as number) ? -1 : a === b ? 0 : 1;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      const i = int('index', k);
      if (i < 0 || i >= v.length) throw fail('index', `index out of range: ${i}`);
      v = Array.isArray(v) ? v[i] : v.charCodeAt(i);
    } else if (v && typeof v === 'object') v = (v as Record<string, unknown>)[str('index', k)];
    else if (v === undefined || v === null) throw fail('index', 'index of untyped nil');
    else throw fail('index', `can't index item of type ${goType(v)}`);
  }
  return v;
}

function len(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v && typeof v === 'object') return Object.keys(v).length;
  throw fail('len', `len of type ${goType(v)}`);
}

/** fmt.Sprint: a space between operands when neither is a string. */
function sprint(...args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goString(a);
  });
  return out;
}

/** fmt.Sprintf for the verbs templates use: %s %v %d %q %f %x %t %%, with flags, width, precision. */
export function sprintf(format: unknown, ...args: unknown[]): string {
  let n = 0;
  return str('printf', format).replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdqfxXtg%])/g, (_m, flags: string, width, prec, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    let s: string;
    if (verb === 'd') s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${goType(a)}=${goString(a)})`;
    else if (verb === 'f' || verb === 'g')
      s = typeof a === 'number' ? (verb === 'f' ? a.toFixed(prec ? Number(prec) : 6) : String(a)) : `%!${verb}(${goString(a)})`;
    else if (verb === 'q') s = JSON.stringify(goString(a));
    else if (verb === 'x' || verb === 'X') s = typeof a === 'number' ? a.toString(16) : Buffer.from(goString(a)).toString('hex');
    else s = goString(a);
    if (verb === 'X') s = s.toUpperCase();
    if ((verb === 's' || verb === 'v') && prec !== undefined) s = s.slice(0, Number(prec));
    const w = width ? Number(width) : 0;
    if (s.length >= w) return s;
    return flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
  });
}

/** docker's `json`: encoding/json without HTML escaping. */
function json(v: unknown): string {
  return JSON.stringify(v ?? null)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export const FUNCS: Record<string, Fn> = {
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  not: (a) => !truthy(a),
  len,
  index,
  slice: (v, ...ix) => {
    const [i = 0, j] = ix.map((x) => int('slice', x));
    if (typeof v !== 'string' && !Array.isArray(v)) throw fail('slice', `can't slice item of type ${goType(v)}`);
    return v.slice(i, j);
  },
  print: sprint,
  printf: sprintf,
  println: (...a) => `${a.map(goString).join(' ')}\n`,
  eq: (a, ...bs) => bs.some((b) => a === b || (a == null && b == null)),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  urlquery: (...a) => encodeURIComponent(sprint(...a)),
  json,
  join: (list, sep) => {
    if (!Array.isArray(list)) throw fail('join', `wrong type for value; expected []string; got ${goType(list)}`);
    return list.map((x) => str('join', x)).join(str('join', sep));
  },
  split: (s, sep) => str('split', s).split(str('split', sep)),
  lower: (s) => str('lower', s).toLowerCase(),
  upper: (s) => str('upper', s).toUpperCase(),
  title: (s) => str('title', s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  pad: (s, before, after) => `${' '.repeat(int('pad', before))}${str('pad', s)}${' '.repeat(int('pad', after))}`,
  truncate: (s, n) => {
    const text = str('truncate', s);
    const chars = [...text];
    return chars.length > int('truncate', n) ? chars.slice(0, n as number).join('') : text;
  },
};

/** docker's HeaderFunctions: for a `table` header the functions hand the column name back. */
export const HEADER_FUNCS: Record<string, Fn> = {
  ...FUNCS,
  ...Object.fromEntries(['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate'].map((n) => [n, (v: unknown) => v])),
};
