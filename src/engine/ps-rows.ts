// One container as a row of docker's `ps` (the fields its --format templates name: docker's
// ContainerContext, with `.Label "KEY"` as a method).
import { humanDuration } from './format.js';
import { stateWord } from './ps-filter.js';
import type { ContainerConfig, ContainerState } from './types.js';

/** What a row adds to the container's own records: its live network state and its size. */
export interface PsExtras {
  networks?: string[];
  ports?: string;
  /** `-s`: bytes written to the container's layer, and that plus its image's. */
  size?: { rw: number; virtual: number };
  /** `(healthy)` and friends, from the last health check (health.ts). */
  health?: string;
  noTrunc?: boolean;
}

export type PsRow = Record<string, string | number | ((key: string) => string)>;

/** One `ps` row as docker's --format sees it. */
export function psRow(c: ContainerConfig, s: ContainerState, now = Date.now(), x: PsExtras = {}): PsRow {
  const command = [c.path, ...c.args].join(' ');
  const labels = c.options.labels;
  const mounts = c.options.volumes.filter((v) => v.type !== 'tmpfs').map((v) => (x.noTrunc || v.source.length <= 15 ? v.source : `${v.source.slice(0, 15)}…`));
  const row: PsRow = {
    ID: x.noTrunc ? c.id : c.id.slice(0, 12),
    Image: c.image,
    Command: JSON.stringify(x.noTrunc || command.length <= 20 ? command : `${command.slice(0, 19)}…`),
    CreatedAt: goTime(c.created),
    RunningFor: `${humanDuration(now - Date.parse(c.created))} ago`,
    Ports: x.ports ?? '',
    State: stateWord(s),
    Status: statusText(s, now, x.health),
    Names: c.name,
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Mounts: mounts.join(','),
    LocalVolumes: String(c.options.volumes.filter((v) => v.type === 'volume').length),
    Networks: (x.networks ?? []).join(','),
    ExitCode: s.exitCode,
  };
  if (x.size) row.Size = `${dockerSize(x.size.rw)} (virtual ${dockerSize(x.size.virtual)})`;
  // A method, as docker's ContainerContext.Label: hidden from {{json .}} (JSON skips functions).
  row.Label = (key: string) => labels[key] ?? '';
  return row;
}

/** Go's time.Time.String() in UTC, which docker's CreatedAt prints: `2026-12-02 06:43:00 +0000 UTC`. */
export function goTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** docker's units.HumanSizeWithPrecision(n, 3): 3 significant digits, decimal units. */
export function dockerSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}

/** docker's STATUS column: `Up 3 minutes (healthy)`, `Exited (0) 2 seconds ago`, `Created`. */
export function statusText(s: ContainerState, now = Date.now(), health?: string): string {
  const since = (t: string | undefined) => humanDuration(now - Date.parse(t ?? new Date(now).toISOString()));
  switch (s.status) {
    case 'running':
      return `Up ${since(s.startedAt)}${s.paused ? ' (Paused)' : health ? ` (${health})` : ''}`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case 'exited':
      return s.startedAt || s.finishedAt ? `Exited (${s.exitCode}) ${since(s.finishedAt)} ago` : 'Created';
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}
