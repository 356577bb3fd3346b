// `hako events`. With no daemon to ask, the commands that change things append what they did to
// `<root>/events.log` (one JSON line each, O_APPEND: whole lines from concurrent processes), and
// `hako events` reads it back and follows it. The log is kept to about 1 MB plus one older file.
// Recording is best effort: a full disk must not fail the `rm` that tried to log it.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';

export type EventType = 'container' | 'image' | 'volume' | 'network';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  /** Seconds and nanoseconds since the epoch, as docker's. */
  time: number;
  timeNano: number;
}

const MAX_LOG = 1 << 20;

export function eventsLog(root: string): string {
  return path.join(root, 'events.log');
}

export function recordEvent(root: string, type: EventType, action: string, id: string, attributes: Record<string, string> = {}): void {
  const nowNs = BigInt(Date.now()) * 1_000_000n; // millisecond precision: what the clock gives honestly
  const ev: EngineEvent = {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    time: Number(nowNs / 1_000_000_000n),
    timeNano: Number(nowNs),
  };
  const file = eventsLog(root);
  try {
    if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > MAX_LOG) fs.renameSync(file, `${file}.1`);
    fs.appendFileSync(file, `${JSON.stringify(ev)}\n`, { mode: 0o600 });
  } catch {
    /* best effort (see above) */
  }
}

export interface EventFilter {
  since?: number;
  until?: number;
  /** type=, event=, container=, image=, volume=, label=: each key ORs its values, keys AND. */
  filters: Map<string, string[]>;
}

/** `--since`/`--until`: a duration before now (10m), seconds since the epoch, or a timestamp. */
export function parseEventTime(v: string, flag: string, now = Date.now()): number {
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (d) return now - Number(d[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 'ms' | 's' | 'm' | 'h'];
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new HakoError(`invalid value "${v}" for ${flag}: expected a duration (10m), seconds since the epoch or a timestamp`);
  return t;
}

export function parseEventFilters(values: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of values) {
    const m = /^(type|event|container|image|volume|network|label)=(.+)$/.exec(f);
    if (!m) throw new HakoError(`invalid filter "${f}" (events takes type=, event=, container=, image=, volume=, network=, label=)`);
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

export function matchesEvent(ev: EngineEvent, f: EventFilter): boolean {
  const ms = ev.timeNano / 1e6;
  if (f.since !== undefined && ms < f.since) return false;
  if (f.until !== undefined && ms > f.until) return false;
  for (const [key, values] of f.filters) {
    const a = ev.Actor.Attributes;
    const ok = values.some((v) => {
      if (key === 'type') return ev.Type === v;
      if (key === 'event') return ev.Action === v;
      if (key === 'label') {
        const eq = v.indexOf('=');
        return eq < 0 ? v in a : a[v.slice(0, eq)] === v.slice(eq + 1);
      }
      if (key === 'image' && ev.Type === 'container') return a.image === v;
      return ev.Type === key && (ev.Actor.ID === v || ev.Actor.ID.startsWith(v) || a.name === v);
    });
    if (!ok) return false;
  }
  return true;
}

/** docker's line: `2026-…Z container start ID (image=…, name=…)`. */
export function formatEvent(ev: EngineEvent): string {
  // Milliseconds are what is recorded (timeNano is not exact in a JavaScript number anyway).
  const iso = new Date(Math.round(ev.timeNano / 1e6)).toISOString().replace(/Z$/, '000000Z');
  const attrs = Object.entries(ev.Actor.Attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${iso} ${ev.Type} ${ev.Action} ${ev.Actor.ID}${attrs ? ` (${attrs})` : ''}`;
}

function parseLines(text: string): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as EngineEvent);
    } catch {
      /* a torn last line */
    }
  }
  return out;
}

/** The recorded events that match, oldest first; with `follow`, then new ones as they come, until
 *  `until` passes or `signal` aborts. */
export async function* readEvents(root: string, f: EventFilter, opts: { follow: boolean; signal?: AbortSignal }): AsyncGenerator<EngineEvent> {
  const file = eventsLog(root);
  const read = (p: string) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  let text = f.since !== undefined ? read(`${file}.1`) + read(file) : '';
  let offset = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (f.since === undefined) text = '';
  for (const ev of parseLines(text)) if (matchesEvent(ev, f)) yield ev;
  while (opts.follow && !opts.signal?.aborted && (f.until === undefined || Date.now() <= f.until)) {
    await new Promise((r) => setTimeout(r, 100));
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size < offset) offset = 0; // rotated
    if (size === offset) continue;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    const end = buf.lastIndexOf(0x0a) + 1; // whole lines only
    offset += end;
    for (const ev of parseLines(buf.subarray(0, end).toString('utf8'))) if (matchesEvent(ev, f)) yield ev;
  }
}

/** What a network event needs of the engine (not Engine itself: the engine imports this module). */
interface NetworkEventHost {
  readonly root: string;
  readonly store: { resolve(ref: string): string };
  readonly networks: { store: { inspect(name: string): { id: string; name: string; driver: string } } };
}

/** docker's network `connect`/`disconnect` event: the network as actor, the container an attribute. */
export function recordNetworkEvent(e: NetworkEventHost, action: 'connect' | 'disconnect', network: string, container: string): void {
  try {
    const info = e.networks.store.inspect(network === 'bridge' ? 'hako' : network);
    recordEvent(e.root, 'network', action, info.id, { container: e.store.resolve(container), name: info.name, type: info.driver });
  } catch {
    /* removed meanwhile: no event */
  }
}
