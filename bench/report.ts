// The human-readable tables. Ratios are hako's median over the peer's median; targets from the
// issue are shown next to the ratio as a reference, never as pass/fail.
import type { MachineInfo } from './machine.js';
import { ratio } from './stats.js';
import type { Row, SectionResult } from './types.js';

function fmt(x: number, unit: Row['unit']): string {
  if (unit === 'KiB') return `${Math.round(x)}`;
  if (unit === 's') return x.toFixed(2);
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** hako's median over this peer's median for the same metric, when both were measured. */
export function ratioFor(section: SectionResult, row: Row): number | undefined {
  if (row.hako || !row.summary) return undefined;
  const hako = section.rows.find((r) => r.hako && r.metric === row.metric && r.summary);
  return ratio(hako?.summary?.median, row.summary.median);
}

function ratioCell(section: SectionResult, row: Row): string {
  if (row.hako || !row.summary) return '';
  const r = ratioFor(section, row);
  if (r === undefined) return '-';
  const t = section.targets.find((x) => x.peer === row.peer && x.metric === row.metric);
  return `${r.toFixed(2)}x${t ? ` (${t.label} <= ${t.maxRatio}x)` : ''}`;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function renderSection(s: SectionResult): string {
  const metrics = [...new Set(s.rows.map((r) => r.metric))];
  const multi = metrics.length > 1;
  const told = new Set<string>();
  const body = s.rows.map((r) => {
    const peer = multi ? `${r.peer} [${r.metric}]` : r.peer;
    if (!r.summary) {
      // A skip reason is printed once per peer; it is the same for every metric of the section.
      const why = r.skipped ?? 'unknown';
      const reason = told.has(`${r.peer}\0${why}`) ? '(see above)' : clip(why, 90);
      told.add(`${r.peer}\0${why}`);
      return [peer, '-', '-', '-', `skipped: ${reason}`];
    }
    const u = r.unit;
    const x = r.summary;
    return [
      peer,
      `${fmt(x.median, u)} ${u}`,
      `${fmt(x.min, u)} / ${fmt(x.median, u)} / ${fmt(x.max, u)}`,
      `${fmt(x.p10, u)} .. ${fmt(x.p90, u)} (n=${x.n})${r.note ? `; ${r.note}` : ''}`,
      ratioCell(s, r),
    ];
  });
  const lines = [
    `== ${s.title} ==`,
    ...s.notes.map((n) => `   ${n}`),
    '',
    table(['peer', 'median', 'min / median / max', 'p10 .. p90', 'ratio hako/peer'], body),
  ];
  return lines.join('\n');
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 3)}...` : text;
}

export function renderMachine(m: MachineInfo): string {
  return [
    `hako bench, ${m.date}`,
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryMiB} MiB; ${m.kernel}; ${m.distro}; node ${m.node}`,
    `cgroups: ${m.cgroups}`,
    `peers: ${
      Object.entries(m.peers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ') || 'none installed'
    }`,
    `hako commit: ${m.commit}; load average at start: ${m.load.join(' ')}`,
  ].join('\n');
}
