// Output helpers: docker's --format (json, table, and a subset of Go templates: {{.Field.Sub}},
// {{json .Field}}, {{.Field | upper}}... only the first two), aligned tables, human durations.
import { HakoError } from '../util/errors.js';

/** Renders a Go-template subset: `{{.A.B}}`, `{{json .A}}`, `{{json .}}`; `\t` and `\n` escapes. */
export function renderTemplate(tpl: string, data: unknown): string {
  const text = tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text
    .replace(/\{\{\s*(json\s+)?(\.[\w.]*)\s*\}\}/g, (_m, json: string | undefined, field: string) => {
      const v = lookup(data, field);
      if (json) return JSON.stringify(v ?? null);
      if (v === undefined || v === null) return '<no value>';
      if (Array.isArray(v)) return `[${v.join(' ')}]`;
      if (typeof v === 'object')
        return `map[${Object.entries(v)
          .map(([k, x]) => `${k}:${x}`)
          .join(' ')}]`;
      return String(v);
    })
    .replace(/\{\{[^}]*\}\}/g, (m) => {
      throw new HakoError(`template: unsupported action ${m} (supported: {{.Field}}, {{json .Field}})`);
    });
}

function lookup(data: unknown, field: string): unknown {
  let v: unknown = data;
  for (const part of field.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

export function table(rows: string[][], gap = 3): string {
  if (!rows.length) return '';
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] + gap)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** docker's units.HumanDuration: "Less than a second", "5 seconds", "About a minute", "3 hours"... */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0).replace(/\.0+$/, '')}${units[i]}`;
}
