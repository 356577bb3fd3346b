// A Dockerfile parser, written against the Dockerfile reference (docs.docker.com/reference/dockerfile):
// the `# escape=` and `# syntax=` parser directives, comments, line continuation with the escape
// character (comment and empty lines inside a continuation are skipped), instruction keywords in any
// case, `--flag=value` options of FROM/COPY/ADD/RUN/HEALTHCHECK, and the JSON (exec) form of RUN,
// CMD, ENTRYPOINT, SHELL, COPY/ADD, VOLUME. Heredocs (`<<EOF`) are refused with a clear line: not
// implemented. Variable substitution happens later, per stage (expand.ts), because its values
// (ARG, ENV) are only known while building.
import { HakoError } from '../util/errors.js';
import { ENGINE_FAILED } from '../engine/exit-codes.js';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  /** `--name=value` options before the arguments (value '' for a bare `--name`). */
  flags: Record<string, string>;
  /** The arguments as written (continuations joined), flags removed. */
  args: string;
  /** The JSON form's strings, when the arguments are a JSON array of strings. */
  json?: string[];
  /** 1-based line of the keyword. */
  line: number;
  /** The original text, continuations joined with a space (for history and progress). */
  original: string;
}

export interface Dockerfile {
  escape: string;
  instructions: Instruction[];
}

const KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'MAINTAINER',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);
const FLAG_KEYWORDS = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);
const JSON_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME']);

/** The flags each instruction takes. `--link` changes only how BuildKit caches a COPY, not its
 *  result: accepted. */
const FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link'],
  RUN: ['network'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};
/** docker's flags that hako build does not implement: refused by name rather than ignored. */
const UNSUPPORTED_FLAGS: Record<string, string[]> = {
  COPY: ['parents', 'exclude'],
  ADD: ['checksum', 'keep-git-dir', 'exclude'],
  RUN: ['mount', 'security'],
};

/** A Dockerfile error: one line naming the file and line, exit status 125 as docker's CLI. */
export class DockerfileError extends HakoError {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`, ENGINE_FAILED);
  }
}

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const esc = directives(lines, file);
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (isBlankOrComment(first)) continue;
    const start = i;
    let joined = '';
    let cur = first;
    // Line continuation: the escape character last on a line (trailing blanks allowed).
    for (;;) {
      const m = continued(cur, esc);
      if (m === undefined) {
        joined += cur;
        break;
      }
      joined += m;
      do {
        i++;
      } while (i < lines.length && isBlankOrComment(lines[i]!) && i + 1 < lines.length);
      if (i >= lines.length) break;
      cur = lines[i]!;
      if (isBlankOrComment(cur)) break;
    }
    instructions.push(parseInstruction(joined.trim(), start + 1, file));
  }
  if (!instructions.length) throw new DockerfileError(file, 1, 'the Dockerfile has no instructions');
  const firstReal = instructions.find((ins) => ins.keyword !== 'ARG');
  if (firstReal?.keyword !== 'FROM')
    throw new DockerfileError(file, firstReal?.line ?? 1, `${firstReal?.keyword ?? 'ARG'} before the first FROM: only ARG may come first`);
  return { escape: esc, instructions };
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/** The line without its trailing escape character when it continues, else undefined. */
function continued(line: string, esc: string): string | undefined {
  const t = line.replace(/[ \t]+$/, '');
  if (!t.endsWith(esc)) return undefined;
  // An escaped escape character (`\\` at the end) does not continue the line.
  let n = 0;
  for (let k = t.length - 1; k >= 0 && t[k] === esc; k--) n++;
  return n % 2 === 1 ? t.slice(0, -1) : undefined;
}

/** Parser directives: `# name=value` lines at the very top, before any comment or instruction. */
function directives(lines: string[], file: string): string {
  let esc = '\\';
  for (const [i, line] of lines.entries()) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (name === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileError(file, i + 1, `invalid escape directive "${m[2]}": must be \\ or \``);
      esc = m[2]!;
    } else if (name !== 'syntax' && name !== 'check') {
      break; // an ordinary comment: directives end here
    }
  }
  return esc;
}

function parseInstruction(text: string, line: number, file: string): Instruction {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text)!;
  const keyword = m[1]!.toUpperCase();
  if (!KEYWORDS.has(keyword)) throw new DockerfileError(file, line, `unknown instruction: ${m[1]}`);
  let rest = (m[2] ?? '').trim();
  const flags: Record<string, string> = {};
  if (FLAG_KEYWORDS.has(keyword)) {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      flags[f[1]!] = f[2] ?? '';
      rest = rest.slice(f[0].length);
    }
  }
  if (/<<-?["']?[A-Za-z_]/.test(rest) && (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD')) {
    throw new DockerfileError(file, line, `${keyword}: heredocs (<<EOF) are not supported by hako build`);
  }
  const ins: Instruction = { keyword, flags, args: rest, line, original: text.replace(/\s+/g, ' ') };
  if (JSON_KEYWORDS.has(keyword) && rest.startsWith('[')) {
    try {
      const v = JSON.parse(rest) as unknown;
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) ins.json = v;
    } catch {
      /* not JSON: the shell form, as docker reads it */
    }
  }
  if (!ins.json && keyword === 'SHELL') throw new DockerfileError(file, line, 'SHELL needs the JSON form, e.g. SHELL ["/bin/sh", "-c"]');
  checkArity(ins, file);
  return ins;
}

function checkArity(ins: Instruction, file: string): void {
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new DockerfileError(file, ins.line, `${ins.keyword} ${what}`);
  };
  const words = ins.args.split(/\s+/).filter(Boolean).length;
  switch (ins.keyword) {
    case 'FROM':
      need(words === 1 || (words === 3 && /^as$/i.test(ins.args.split(/\s+/)[1]!)), 'needs an image, optionally followed by AS NAME');
      break;
    case 'COPY':
    case 'ADD':
      need((ins.json?.length ?? words) >= 2, 'needs at least one source and a destination');
      break;
    case 'ENV':
    case 'LABEL':
    case 'ARG':
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'EXPOSE':
    case 'VOLUME':
    case 'MAINTAINER':
    case 'ONBUILD':
      need(words >= 1, 'needs an argument');
      break;
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
      need(ins.json !== undefined || words >= 1 || ins.keyword !== 'RUN', 'needs a command');
      break;
    case 'HEALTHCHECK':
      need(words >= 1, 'needs NONE or CMD …');
      break;
  }
  for (const f of Object.keys(ins.flags)) {
    if (UNSUPPORTED_FLAGS[ins.keyword]?.includes(f)) throw new DockerfileError(file, ins.line, `${ins.keyword}: --${f} is not supported by hako build`);
    if (!FLAGS[ins.keyword]?.includes(f)) throw new DockerfileError(file, ins.line, `${ins.keyword}: unknown flag --${f}`);
  }
  const net = ins.flags.network;
  if (ins.keyword === 'RUN' && net !== undefined && !['default', 'host', 'none'].includes(net)) {
    throw new DockerfileError(file, ins.line, `RUN --network=${net}: expected default, host or none`);
  }
}
