// The lexer of hako's Go text/template subset (docker's --format): text, `{{ … }}` actions with
// `{{-`/`-}}` trimming and `/* comments */`, and the tokens inside actions.
import { HakoError } from '../../util/errors.js';

export type Token =
  | { t: 'text'; v: string }
  | { t: 'open' }
  | { t: 'close' }
  | { t: 'field'; names: string[]; glued: boolean }
  | { t: 'dot' }
  | { t: 'var'; name: string; names: string[] }
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'lparen' }
  | { t: 'rparen' }
  | { t: 'pipe' }
  | { t: 'declare' }
  | { t: 'assign' }
  | { t: 'comma' };

export class TemplateError extends HakoError {}

export const parseError = (why: string) => new TemplateError(`template parsing error: template: :1: ${why}`);

/** Splits a template into text and action tokens. */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (open < 0) {
      out.push({ t: 'text', v: text });
      break;
    }
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start++;
    }
    if (text) out.push({ t: 'text', v: text });
    i = lexAction(src, start, out);
  }
  return out;
}

/** The tokens of one action, from `pos` (after `{{`); returns where the text resumes. */
function lexAction(src: string, pos: number, out: Token[]): number {
  const body = src.slice(pos).trimStart();
  if (body.startsWith('/*')) {
    const end = src.indexOf('*/', pos);
    const close = end < 0 ? -1 : src.indexOf('}}', end);
    if (close < 0) throw parseError('unclosed comment');
    return trimAfter(src, close);
  }
  out.push({ t: 'open' });
  let i = pos;
  for (;;) {
    while (i < src.length && /\s/.test(src[i])) {
      if (src.startsWith(' -}}', i) || src.startsWith('\t-}}', i) || src.startsWith('\n-}}', i)) break;
      i++;
    }
    if (i >= src.length) throw parseError('unclosed action');
    if (src.startsWith('}}', i) || /^\s-}}/.test(src.slice(i, i + 4))) {
      out.push({ t: 'close' });
      return trimAfter(src, src.startsWith('}}', i) ? i : i + 2);
    }
    i = lexToken(src, i, out);
  }
}

/** After the `}}` at `close`: the index where text resumes, past whitespace for `-}}`. */
function trimAfter(src: string, close: number): number {
  let i = close + 2;
  if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) while (i < src.length && /\s/.test(src[i])) i++;
  return i;
}

const SIMPLE: Record<string, Token> = { '(': { t: 'lparen' }, ')': { t: 'rparen' }, '|': { t: 'pipe' }, ',': { t: 'comma' } };

function lexToken(src: string, i: number, out: Token[]): number {
  const c = src[i];
  if (SIMPLE[c]) {
    out.push(SIMPLE[c]);
    return i + 1;
  }
  if (src.startsWith(':=', i)) {
    out.push({ t: 'declare' });
    return i + 2;
  }
  if (c === '=') {
    out.push({ t: 'assign' });
    return i + 1;
  }
  if (c === '"' || c === '`') return lexString(src, i, out);
  const m = /^(?:\$\w*|\.?[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*|\.|[-+]?\d[\w.+-]*)/.exec(src.slice(i));
  if (!m) throw parseError(`unexpected "${c}" in command`);
  const word = m[0];
  const glued = i > 0 && src[i - 1] === ')';
  out.push(wordToken(word, src.slice(i + word.length), glued));
  let end = i + word.length;
  // `$x.Field` and `$.Field`: the variable's chain follows without a space.
  const last = out[out.length - 1];
  if (last.t === 'var') {
    const chain = /^(?:\.[A-Za-z_]\w*)+/.exec(src.slice(end));
    if (chain) {
      last.names = chain[0].split('.').filter(Boolean);
      end += chain[0].length;
    }
  }
  return end;
}

function wordToken(word: string, _rest: string, glued: boolean): Token {
  if (word.startsWith('$')) return { t: 'var', name: word, names: [] };
  if (word === '.') return { t: 'dot' };
  if (word.startsWith('.')) return { t: 'field', names: word.split('.').filter(Boolean), glued };
  if (word === 'true' || word === 'false') return { t: 'bool', v: word === 'true' };
  if (word === 'nil') return { t: 'nil' };
  if (/^[-+]?\d/.test(word)) {
    const n = Number(word.replace(/_/g, ''));
    if (!Number.isFinite(n)) throw parseError(`bad number syntax: "${word}"`);
    return { t: 'number', v: n };
  }
  return { t: 'ident', v: word };
}

function lexString(src: string, i: number, out: Token[]): number {
  const q = src[i];
  let j = i + 1;
  while (j < src.length && src[j] !== q) {
    if (q === '"' && src[j] === '\\') j++;
    if (q === '"' && src[j] === '\n') break;
    j++;
  }
  if (j >= src.length || src[j] !== q) throw parseError('unterminated quoted string');
  const raw = src.slice(i, j + 1);
  let v: string;
  try {
    v = q === '`' ? raw.slice(1, -1) : (JSON.parse(raw.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\'/g, "'")) as string);
  } catch {
    throw parseError(`invalid syntax in string ${raw}`);
  }
  out.push({ t: 'string', v });
  return j + 1;
}
