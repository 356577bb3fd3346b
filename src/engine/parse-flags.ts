// docker's flag syntax over node:util parseArgs, for every engine command: a value that starts with
// '-', `--flag=true|false` for booleans, and one-line errors. Apart from flags.ts (run's flag table and
// its values) so that a command such as `ps` does not load run's tables to parse its own flags.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EngineError } from './exit-codes.js';

type Opts = NonNullable<ParseArgsConfig['options']>;

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
