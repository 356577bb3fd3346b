// Path patterns of `.dockerignore` and of COPY/ADD sources: Go's filepath.Match syntax (`*` and `?`
// within one path component, `[a-z]` classes, `\` escapes) plus `**` for any number of components,
// as docker's patternmatcher. A .dockerignore line starting with `!` re-includes; the last matching
// line decides; a pattern that matches a directory excludes everything below it.

/** A pattern as a regular expression over a whole slash-separated relative path. */
export function patternRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i]!);
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.+^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Cleans a relative path as Go's filepath.Clean, without a leading slash: '' for the root. */
export function cleanRel(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

export interface IgnoreRule {
  re: RegExp;
  exclude: boolean;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (!line) continue;
    const exclude = !line.startsWith('!');
    const pattern = cleanRel(exclude ? line : line.slice(1).trim());
    if (!pattern) continue;
    rules.push({ re: patternRegExp(pattern), exclude });
  }
  return rules;
}

/** Whether `rel` (a path in the context) is ignored: the last rule matching it or a parent decides. */
export function isIgnored(rel: string, rules: IgnoreRule[]): boolean {
  let ignored = false;
  const parts = rel.split('/');
  for (const rule of rules) {
    for (let n = 1; n <= parts.length; n++) {
      if (rule.re.test(parts.slice(0, n).join('/'))) {
        ignored = rule.exclude;
        break;
      }
    }
  }
  return ignored;
}
