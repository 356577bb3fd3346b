// One container as a row of docker's `ps` (the fields its --format templates name).
import { humanDuration } from './format.js';
import type { ContainerConfig, ContainerState } from './types.js';

/** One `ps` row as docker's --format sees it. */
export function psRow(c: ContainerConfig, s: ContainerState, now = Date.now()): Record<string, string | number> {
  const command = [c.path, ...c.args].join(' ');
  return {
    ID: c.id.slice(0, 12),
    Image: c.image,
    Command: JSON.stringify(command.length > 20 ? `${command.slice(0, 19)}…` : command),
    CreatedAt: c.created,
    RunningFor: `${humanDuration(now - Date.parse(c.created))} ago`,
    Status: statusText(s, now),
    State: s.status,
    Names: c.name,
    Ports: '',
    Labels: Object.entries(c.options.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    ExitCode: s.exitCode,
  };
}

/** docker's STATUS column: `Up 3 minutes`, `Exited (0) 2 seconds ago`, `Created`. */
export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string | undefined) => humanDuration(now - Date.parse(t ?? new Date(now).toISOString()));
  switch (s.status) {
    case 'running':
      return `Up ${since(s.startedAt)}${s.paused ? ' (Paused)' : ''}`;
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
