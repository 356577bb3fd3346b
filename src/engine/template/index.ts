// docker's --format: Go's text/template (the part docker users write: fields, methods with
// arguments, pipelines, variables, if/else, range, with, docker's functions) and `table`, whose
// header comes from the same template run over the column names and whose columns are aligned as
// Go's tabwriter aligns docker's (minimum width 10, padding 3). No npm package implements Go's
// templates; this one is tested against what docker and podman print (test/unit/engine/template).
import { Executor } from './exec.js';
import { FUNCS, HEADER_FUNCS } from './funcs.js';
import { type Node, parseTemplate } from './parse.js';

export { TemplateError } from './lex.js';
export { goString } from './funcs.js';

/** A template compiled once, run per row. */
export class Template {
  private readonly nodes: Node[];

  constructor(readonly source: string) {
    this.nodes = parseTemplate(source);
  }

  render(data: unknown): string {
    return new Executor(FUNCS).run(this.nodes, data);
  }

  /** The `table` header: the template over `headers` (field -> column name), functions as identity. */
  header(headers: Record<string, string>): string {
    return new Executor(HEADER_FUNCS, true).run(this.nodes, headers);
  }
}

/** Renders `tpl` for `data`; docker's `\t` and `\n` written as two characters work too. */
export function renderTemplate(tpl: string, data: unknown): string {
  return new Template(unescapeTabs(tpl)).render(data);
}

function unescapeTabs(tpl: string): string {
  return tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export interface ListFormat {
  /** docker's default `table …` template for the command. */
  defaultTable: string;
  /** Column names of the fields (`ID` -> `CONTAINER ID`). */
  headers: Record<string, string>;
}

/** A list command's output for `--format`: `json` (a JSON line per row), `table` (the default
 *  table), `table TEMPLATE` (a header and aligned columns) or a template (a line per row). */
export function formatList(format: string | undefined, rows: unknown[], list: ListFormat): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const spec = !format || format === 'table' ? list.defaultTable : unescapeTabs(format);
  if (!spec.startsWith('table')) {
    const t = new Template(spec);
    return rows.map((r) => `${t.render(r)}\n`).join('');
  }
  const t = new Template(spec.slice(5).trimStart());
  const lines = [t.header(list.headers), ...rows.map((r) => t.render(r))];
  return tabwrite(`${lines.join('\n')}\n`);
}

/** Go's text/tabwriter with docker's settings (minwidth 10, tabwidth 1, padding 3, spaces, no
 *  flags): tab-terminated cells are aligned in column blocks of consecutive lines. */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const width = (s: string) => [...s].length;
  const widths: number[] = [];
  const out: string[] = [];
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      out.push(cells.map((c, j) => (j < cells.length - 1 ? c + ' '.repeat(Math.max(0, (widths[j] ?? 0) - width(c))) : c)).join(''));
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row].length - 1) continue;
      writeLines(line0, row);
      line0 = row;
      let w = minwidth;
      for (; row < line1 && column < lines[row].length - 1; row++) w = Math.max(w, width(lines[row][column]) + padding);
      widths.push(w);
      format(line0, row);
      widths.pop();
      line0 = row;
      row--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}
