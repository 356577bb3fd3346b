// Health checks (docker's HEALTHCHECK and --health-*): the state of the last checks, kept in
// <container>/health.json and shown by `ps` (`Up 3 minutes (healthy)`) and `inspect` (State.Health).
import fs from 'node:fs';
import path from 'node:path';
import { inspect as inspectImage } from '../image/inspect.js';
import type { ContainerStore } from './store.js';
import type { ContentStore } from '../storage/store/index.js';
import { findBin } from './monitor.js';
import { killRecorded, spawnRecorded } from './helper-process.js';
import type { HealthConfig } from './types.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** What of the engine health records need (not Engine itself: the engine imports this module). */
export interface HealthHost {
  readonly root: string;
  readonly store: ContainerStore;
  readonly images: ContentStore;
}

/** docker's State.Health. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export function healthFile(e: HealthHost, id: string): string {
  return path.join(e.store.containerDir(id), 'health.json');
}

/** The container's health state; undefined when it has no check (or none ran since its start). */
export function readHealth(e: HealthHost, id: string): HealthState | undefined {
  try {
    return JSON.parse(fs.readFileSync(healthFile(e, id), 'utf8')) as HealthState;
  } catch {
    return undefined;
  }
}

/** `ps --filter health=`: starting, healthy, unhealthy, or none (no check). */
export function healthWord(e: HealthHost, id: string): string {
  const st = e.store.readState(id);
  if (st.status !== 'running') return 'none';
  return readHealth(e, id)?.Status ?? 'none';
}

/** What ps's STATUS adds for a running container: `healthy`, `unhealthy`, `health: starting`. */
export function healthStatusText(e: HealthHost, id: string): string | undefined {
  const w = healthWord(e, id);
  if (w === 'none') return undefined;
  return w === 'starting' ? 'health: starting' : w;
}

/** The image config's Healthcheck (durations in nanoseconds, as docker's). */
interface ImageHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

const DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 };

/** The container's check: its --health-* flags over the image's HEALTHCHECK, docker's defaults for
 *  what neither sets; undefined without one (or with NONE / --no-healthcheck). */
export function healthConfigOf(e: HealthHost, id: string): HealthConfig | undefined {
  const cfg = e.store.readConfig(id);
  let image: ImageHealthcheck = {};
  try {
    image = (inspectImage(e.images, cfg.imageId).image.config as { Healthcheck?: ImageHealthcheck } | undefined)?.Healthcheck ?? {};
  } catch {
    /* the image is gone: the flags alone */
  }
  const flags = cfg.options.healthcheck ?? {};
  const test = flags.test ?? image.Test;
  if (!test?.length || test[0] === 'NONE' || (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') || test.length < 2) return undefined;
  const ms = (ns: number | undefined) => (ns ? ns / 1e6 : undefined);
  return {
    test,
    intervalMs: flags.intervalMs || ms(image.Interval) || DEFAULTS.intervalMs,
    timeoutMs: flags.timeoutMs || ms(image.Timeout) || DEFAULTS.timeoutMs,
    startPeriodMs: flags.startPeriodMs || ms(image.StartPeriod) || DEFAULTS.startPeriodMs,
    retries: flags.retries || image.Retries || DEFAULTS.retries,
  };
}

/** inspect's State.Health for a container with a check (docker leaves it out without one). */
export function healthOfInspect(e: HealthHost, id: string, status: string): { Health?: HealthState } {
  if (!healthConfigOf(e, id)) return {};
  const h = readHealth(e, id);
  if (!h) return { Health: { Status: 'starting', FailingStreak: 0, Log: [] } };
  return { Health: status === 'running' ? h : { ...h, Status: 'unhealthy' } };
}

/** Starts the scheduler of a container that was just started (nothing without a check). */
export function startHealthMonitor(e: HealthHost, id: string): void {
  const hc = healthConfigOf(e, id);
  if (!hc) return;
  const st = e.store.readState(id);
  writeHealth(e, id, { Status: 'starting', FailingStreak: 0, Log: [] });
  if (!st.monitorPid) return;
  const loop = 'P=$1 I=$2; shift 2; while :; do timeout "$I" tail -f --pid="$P" /dev/null; [ $? -eq 124 ] || exit 0; "$@" >/dev/null 2>&1; done';
  const seconds = (hc.intervalMs / 1000).toFixed(3);
  // Its process group (the loop, timeout, tail) is recorded: rm ends it at once instead of leaving
  // it to notice conmon's exit within a second.
  spawnRecorded(schedulerFile(e, id), [
    '/bin/sh',
    '-c',
    loop,
    'hako-health',
    String(st.monitorPid),
    seconds,
    findBin('hako'),
    '--root',
    e.root,
    'healthcheck',
    'run',
    id,
  ]);
}

/** Ends a container's health-check scheduler (rm), if it still runs. */
export function stopHealthMonitor(e: HealthHost, id: string): void {
  killRecorded(schedulerFile(e, id));
}

function schedulerFile(e: HealthHost, id: string): string {
  return path.join(e.store.containerDir(id), 'health-scheduler.pid');
}

export function writeHealth(e: HealthHost, id: string, h: HealthState): void {
  const file = healthFile(e, id);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(h));
  fs.renameSync(`${file}.tmp`, file);
}
