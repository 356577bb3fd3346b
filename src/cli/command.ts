// What both command lines share: a command is a table of flags (read by the parser and by --help
// alike, so the help cannot forget a flag) and a handler in a file of its own, imported only when
// the command runs. A registry lists each command's name, aliases and one-line summary without
// importing it: `hako runtime state` loads the state command and the runtime, nothing of the engine
// (with Bun's --splitting, a dynamic import is a chunk loaded on demand; see scripts/build.mjs).
import type { ParseArgsConfig } from 'node:util';
import { splitAtFirstArgument } from '../util/argv.js';
import { writeOut } from '../util/stdio.js';

/** One flag: node:util parseArgs' option plus what --help says about it. */
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  /** The value's name in --help (`--memory BYTES`); default VALUE. */
  value?: string;
  /** One line for --help. */
  help: string;
}
export type Flags = Record<string, Flag>;

export type Parsed = { values: Record<string, unknown>; positionals: string[] };

export interface Command<Ctx> {
  /** What follows the command's name in its usage line: `[OPTIONS] CONTAINER...`. */
  usage: string;
  flags: Flags;
  /** Flags end at the first argument (`exec ID sh -c …`: the -c is the program's). */
  flagsEndAtArgument?: boolean;
  /** The handler parses the arguments itself (`run`: a library parser); only --help is seen first. */
  rawArgs?: boolean;
  /** More lines for --help, after the flags. */
  notes?: string;
  run(ctx: Ctx, parsed: Parsed, command: string): Promise<number>;
}

/** A registry line: enough for the list of commands, the command itself loaded on use. */
export interface Entry<Ctx> {
  name: string;
  aliases?: string[];
  summary: string;
  /** Not in the list of commands (`container-exited`, conmon's exit command). */
  hidden?: boolean;
  /** `--help` runs the command anyway (runtime `checkpoint`: podman takes a zero exit for support). */
  noHelp?: boolean;
  load?: () => Promise<{ default: Command<Ctx> }>;
  /** A command group (`network create|ls|…`). */
  group?: Entry<Ctx>[];
}

export function findEntry<Ctx>(entries: Entry<Ctx>[], name: string): Entry<Ctx> | undefined {
  return entries.find((e) => e.name === name || e.aliases?.includes(name));
}

/** `  name    summary` lines for the visible entries. */
export function listCommands<Ctx>(entries: Entry<Ctx>[], width = 12): string {
  return entries
    .filter((e) => !e.hidden)
    .map((e) => `  ${[e.name, ...(e.aliases ?? [])].join(', ').padEnd(width)}${e.summary}`)
    .join('\n');
}

/** `-b, --bundle DIR   help` lines, aligned, in the table's order. */
export function describeFlags(flags: Flags): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const value = f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : '';
    return [`${f.short ? `-${f.short}, ` : '    '}--${name}${value}`, f.help];
  });
  const width = Math.max(0, ...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`.trimEnd()).join('\n');
}

/** A command's --help: usage, summary, every flag, notes. */
export function commandHelp<Ctx>(prog: string, entry: Entry<Ctx>, cmd: Command<Ctx>, extraFlags: Flags = {}): string {
  const flags = { ...cmd.flags, ...extraFlags };
  const parts = [`usage: ${prog} ${entry.name} ${cmd.usage}`.trimEnd(), entry.summary];
  if (entry.aliases?.length) parts.push(`aliases: ${entry.aliases.join(', ')}`);
  if (Object.keys(flags).length) parts.push(`flags:\n${describeFlags(flags)}`);
  if (cmd.notes) parts.push(cmd.notes);
  return `${parts.join('\n\n')}\n`;
}

/** The names under which a flag takes a value (`--bundle`, `-b`). */
export function valueFlags(flags: Flags): Set<string> {
  const out = new Set<string>();
  for (const [name, f] of Object.entries(flags)) {
    if (f.type !== 'string') continue;
    out.add(`--${name}`);
    if (f.short) out.add(`-${f.short}`);
  }
  return out;
}

/** Splits `[flags…] ARG [ARGS…]` at the first word that is neither a flag nor a flag's value. */
export function splitAtArgument(args: string[], flags: Flags): { flags: string[]; rest: string[] } {
  return splitAtFirstArgument(args, valueFlags(flags));
}

/** parseArgs' options for a flag table (its own keys only). */
export function parseArgsOptions(flags: Flags): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, { type, short, multiple, default: def }] of Object.entries(flags)) {
    out[name] = def === undefined ? { type, short, multiple } : ({ type, short, multiple, default: def } as never);
    if (short === undefined) delete out[name].short;
    if (multiple === undefined) delete out[name].multiple;
  }
  return out;
}

export interface Dispatch<Ctx> {
  /** `hako` or `hako runtime`, for the usage line. */
  prog: string;
  /** Added to every command (the engine's --root). */
  extraFlags?: Flags;
  /** The command line's parser, with its own error wording and exit status. */
  parse(command: string, args: string[], flags: Flags): Parsed;
  /** Takes what extraFlags gave into the context (a --root after the command's arguments). */
  adopt?(values: Record<string, unknown>, ctx: Ctx): void;
}

/** Runs one command: --help (before the first argument, or anywhere its parser accepts flags), else
 *  its flags parsed and its handler called. `name` is the full name (`network create`). */
export async function runCommand<Ctx>(d: Dispatch<Ctx>, entry: Entry<Ctx>, name: string, args: string[], ctx: Ctx): Promise<number> {
  const cmd = (await entry.load!()).default;
  const flags = { ...cmd.flags, ...d.extraFlags };
  const named = { ...entry, name };
  const help = () => {
    writeOut(commandHelp(d.prog, named, cmd, d.extraFlags));
    return 0;
  };
  const shortH = Object.values(flags).some((f) => f.short === 'h');
  const asksHelp = (words: string[]) => words.includes('--help') || (!shortH && words.includes('-h'));
  if (!entry.noHelp && asksHelp(splitAtArgument(args, flags).flags)) return help();
  if (cmd.rawArgs) return cmd.run(ctx, { values: {}, positionals: args }, name);
  if (cmd.flagsEndAtArgument) {
    const split = splitAtArgument(args, flags);
    const { values } = d.parse(name, split.flags, flags);
    d.adopt?.(values, ctx);
    return cmd.run(ctx, { values, positionals: split.rest }, name);
  }
  const withHelp: Flags = entry.noHelp ? flags : { help: { type: 'boolean', help: 'this help' }, ...flags };
  const parsed = d.parse(name, args, withHelp);
  if (parsed.values.help && !entry.noHelp) return help();
  d.adopt?.(parsed.values, ctx);
  return cmd.run(ctx, parsed, name);
}
