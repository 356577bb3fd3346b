// Health checks (docker's HEALTHCHECK and --health-*): the state of the last checks, kept in
// <container>/health.json and shown by `ps` (`Up 3 minutes (healthy)`) and `inspect` (State.Health).
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from './engine.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** docker's State.Health. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export function healthFile(e: Engine, id: string): string {
  return path.join(e.store.containerDir(id), 'health.json');
}

/** The container's health state; undefined when it has no check (or none ran since its start). */
export function readHealth(e: Engine, id: string): HealthState | undefined {
  try {
    return JSON.parse(fs.readFileSync(healthFile(e, id), 'utf8')) as HealthState;
  } catch {
    return undefined;
  }
}

/** `ps --filter health=`: starting, healthy, unhealthy, or none (no check). */
export function healthWord(e: Engine, id: string): string {
  const st = e.store.readState(id);
  if (st.status !== 'running') return 'none';
  return readHealth(e, id)?.Status ?? 'none';
}

/** What ps's STATUS adds for a running container: `healthy`, `unhealthy`, `health: starting`. */
export function healthStatusText(e: Engine, id: string): string | undefined {
  const w = healthWord(e, id);
  if (w === 'none') return undefined;
  return w === 'starting' ? 'health: starting' : w;
}
