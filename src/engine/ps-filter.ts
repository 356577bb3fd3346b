// `ps --filter`, `-n`/`--last`, `-l` and `-a` as docker's daemon applies them (moby daemon/list.go):
// values of one key are alternatives, different keys must all match; `status` shows stopped
// containers without -a, `-n`/`-l` take the last created of every state.
import { HakoError } from '../util/errors.js';
import type { ContainerConfig, ContainerState } from './types.js';

export interface PsEntry {
  config: ContainerConfig;
  state: ContainerState;
}

export interface PsQuery {
  all?: boolean;
  /** `-n N` (and `-l`, which is `-n 1`): the last N created, of every state. */
  last?: number;
  filters?: string[];
}

/** The health status a filter sees (health.ts), by container id; 'none' without a check. */
export type HealthOf = (e: PsEntry) => string;

const KEYS = ['status', 'name', 'id', 'label', 'ancestor', 'exited', 'before', 'since', 'health', 'volume', 'network', 'is-task', 'pod'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** docker's status word of a container: its state, with `paused` for a frozen running one. */
export function stateWord(s: ContainerState): string {
  return s.status === 'running' && s.paused ? 'paused' : s.status;
}

/** `KEY=VALUE` filters by key, checked: an unknown key or value is refused as docker's daemon does. */
export function parsePsFilters(specs: string[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new HakoError(`bad format of filter (expected name=value): ${JSON.stringify(spec)}`);
    const key = spec.slice(0, eq).trim().toLowerCase();
    const value = spec.slice(eq + 1);
    if (!KEYS.includes(key)) throw new HakoError(`invalid filter '${key}'`);
    if (key === 'status' && !STATUSES.includes(value)) throw new HakoError(`invalid filter 'status=${value}'`);
    if (key === 'health' && !HEALTH.includes(value)) throw new HakoError(`invalid filter 'health=${value}': one of ${HEALTH.join(', ')}`);
    if (key === 'exited' && !/^-?\d{1,9}$/.test(value)) throw new HakoError(`invalid filter 'exited=${value}': an exit code is a number`);
    if (key === 'is-task' && value !== 'true' && value !== 'false') throw new HakoError(`invalid filter 'is-task=${value}'`);
    if (key === 'name' || key === 'id') regexp(key, value);
    byKey.set(key, [...(byKey.get(key) ?? []), value]);
  }
  return byKey;
}

function regexp(key: string, value: string): RegExp {
  try {
    return new RegExp(value);
  } catch {
    throw new HakoError(`invalid filter '${key}=${value}': not a regular expression`);
  }
}

export interface PsContext {
  /** An image reference or ID -> the image ID it names in the store, if any. */
  resolveImage: (ref: string) => string | undefined;
  /** A container reference -> its id; throws when there is no such container. */
  resolveContainer: (ref: string) => string;
  health: HealthOf;
  /** The names of the networks and volumes a container uses. */
  networksOf: (e: PsEntry) => string[];
  /** podman's `pod=NAME|ID`: the pod of a container (pods.ts), if it is in one. */
  podOf?: (e: PsEntry) => { id: string; name: string } | undefined;
}

/** The entries `ps` shows for `q`, newest first (as `list` returns them). */
export function selectContainers(entries: PsEntry[], q: PsQuery, ctx: PsContext): PsEntry[] {
  const filters = parsePsFilters(q.filters ?? []);
  const all = q.all || (q.last ?? 0) > 0 || filters.has('status');
  const created = (ref: string) => {
    const id = ctx.resolveContainer(ref);
    return entries.find((e) => e.config.id === id)?.config.created ?? '';
  };
  const before = filters.get('before')?.map(created);
  const since = filters.get('since')?.map(created);
  let out = entries.filter((e) => {
    if (!all && e.state.status !== 'running' && e.state.status !== 'restarting') return false;
    if (before && !before.some((t) => e.config.created < t)) return false;
    if (since && !since.some((t) => e.config.created > t)) return false;
    return matches(e, filters, ctx);
  });
  if (q.last && q.last > 0) out = out.slice(0, q.last);
  return out;
}

function matches(e: PsEntry, filters: Map<string, string[]>, ctx: PsContext): boolean {
  const { config: c, state: s } = e;
  const any = (key: string, test: (v: string) => boolean) => !filters.has(key) || filters.get(key)!.some(test);
  return (
    any('status', (v) => v === stateWord(s)) &&
    any('name', (v) => new RegExp(v).test(`/${c.name}`)) &&
    any('id', (v) => new RegExp(v).test(c.id)) &&
    any('label', (v) => labelMatches(c.options.labels, v)) &&
    any('ancestor', (v) => ancestorMatches(c, v, ctx)) &&
    any('exited', (v) => s.status === 'exited' && !!s.startedAt && s.exitCode === Number(v)) &&
    any('health', (v) => ctx.health(e) === v) &&
    any('volume', (v) => c.options.volumes.some((m) => m.source === v || m.target === v)) &&
    any('network', (v) => ctx.networksOf(e).includes(v)) &&
    any('is-task', (v) => v === 'false') &&
    any('pod', (v) => podMatches(ctx.podOf?.(e), v))
  );
}

function podMatches(pod: { id: string; name: string } | undefined, ref: string): boolean {
  return !!pod && (pod.name === ref || (/^[0-9a-f]+$/.test(ref) && pod.id.startsWith(ref)));
}

function labelMatches(labels: Record<string, string>, spec: string): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, spec);
  const key = spec.slice(0, eq);
  return Object.hasOwn(labels, key) && labels[key] === spec.slice(eq + 1);
}

/** `ancestor=IMAGE`: the container's image is IMAGE (by name[:tag], ID or digest). Images have no
 *  parent chain in hako's store (no build cache of intermediate images), so descendants are the
 *  image itself. */
function ancestorMatches(c: ContainerConfig, ref: string, ctx: PsContext): boolean {
  const id = ctx.resolveImage(ref);
  if (id) return c.imageId === id;
  return c.image === ref || c.imageRef === ref;
}
