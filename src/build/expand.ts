// Variable substitution and word splitting as the Dockerfile reference describes for ADD, COPY, ENV,
// EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (and ARG defaults): `$name`, `${name}`,
// `${name:-word}` (word when unset or empty), `${name:+word}` (word when set and not empty),
// `${name-word}` / `${name+word}` (the same, where only "unset" counts), with `word` expanded in
// turn. Quotes group words and are removed; single quotes stop expansion; the esc character
// makes the next character literal (`\$foo` is `$foo`). RUN, CMD and ENTRYPOINT are not expanded
// here: their shell does it.

export type Vars = ReadonlyMap<string, string>;

/** The words of `text`, each expanded; quotes group and are removed. */
export function expandWords(text: string, vars: Vars, esc = '\\'): string[] {
  return lex(text, vars, esc, true);
}

/** `text` expanded as one word (spaces kept), quotes removed. */
export function expandWord(text: string, vars: Vars, esc = '\\'): string {
  return lex(text, vars, esc, false).join('');
}

function lex(text: string, vars: Vars, esc: string, split: boolean): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '' | '"' | "'" = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
      else cur += c;
      continue;
    }
    if (c === esc && i + 1 < text.length) {
      const next = text[i + 1]!;
      // Inside double quotes only $, " and the esc itself are escapable, as in a shell.
      if (quote === '"' && next !== '$' && next !== '"' && next !== esc) cur += c;
      cur += next;
      i++;
      inWord = true;
      continue;
    }
    if (c === '"' || (c === "'" && quote === '')) {
      if (quote === c) quote = '';
      else if (quote === '') quote = c;
      else cur += c;
      inWord = true;
      continue;
    }
    if (c === '$') {
      const r = variable(text, i, vars, esc);
      if (r) {
        cur += r.value;
        i = r.end - 1;
        inWord = true;
        continue;
      }
    }
    if (split && quote === '' && /\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (inWord || !split) words.push(cur);
  return words;
}

/** The variable reference starting at text[i] === '$': its value and where it ends. */
function variable(text: string, i: number, vars: Vars, esc: string): { value: string; end: number } | undefined {
  const simple = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
  if (simple) return { value: vars.get(simple[0]) ?? '', end: i + 1 + simple[0].length };
  if (text[i + 1] !== '{') return undefined;
  const m = /^\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])|\})/.exec(text.slice(i + 1));
  if (!m) return undefined;
  const name = m[1]!;
  if (!m[2]) return { value: vars.get(name) ?? '', end: i + 1 + m[0].length };
  // The word runs to the matching brace (nested ${…} allowed).
  let depth = 1;
  let k = i + 1 + m[0].length;
  const wordStart = k;
  for (; k < text.length && depth > 0; k++) {
    if (text[k] === esc) {
      k++;
      continue;
    }
    if (text[k] === '{') depth++;
    else if (text[k] === '}') depth--;
  }
  if (depth !== 0) return undefined;
  const word = () => expandWord(text.slice(wordStart, k - 1), vars, esc);
  const value = vars.get(name);
  const set = m[2].startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
  const op = m[2].slice(-1);
  return { value: op === '-' ? (set ? value! : word()) : set ? word() : '', end: k };
}

/** KEY=VALUE pairs of ENV, LABEL and ARG (and the legacy `ENV KEY VALUE`), expanded. */
export function keyValues(text: string, vars: Vars, esc: string, legacy: boolean): Array<[string, string | undefined]> {
  const first = /^(\S+)/.exec(text)?.[1] ?? '';
  if (legacy && !first.includes('=')) {
    const value = text.slice(first.length).trim();
    return [[expandWord(first, vars, esc), expandWord(value, vars, esc)]];
  }
  return expandWords(text, vars, esc).map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}
