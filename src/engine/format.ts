// Output helpers: docker's --format (Go templates and `table`, in template/), aligned tables, human
// durations and sizes.
export { renderTemplate, formatList, tabwrite, Template, TemplateError, type ListFormat } from './template/index.js';

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
