// Namespaces a container shares with another one: `--network container:REF`, `--uts container:REF`,
// `--ipc container:REF`, and pods (pods.ts: every member joins its infra container's three). The
// reference is what the container records at create; the namespace's path is found at every start,
// here and only here (the other container may have been restarted, so its pid changes), and written
// into the bundle's config.json before the runtime reads it.
// A network namespace is joined through the other container's pin when it has one (network.ts: it
// outlives its processes); otherwise, and for uts and ipc, through /proc/PID/ns of its process.
import fs from 'node:fs';
import { HakoError } from '../util/errors.js';
import type { Spec } from '../oci/types.js';
import type { RunOptions } from './types.js';

export type SharedNamespace = 'network' | 'uts' | 'ipc';

export interface NamespaceJoin {
  type: SharedNamespace;
  /** The container referred to (name, id or id prefix; a pod's infra id). */
  ref: string;
}

/** The container whose namespace is joined, as the engine finds it at start. */
export interface JoinTarget {
  id: string;
  /** Its process on the host; 0 when it is not running. */
  pid: number;
  /** Its pinned network namespace, when it has one. */
  netnsPin?: string;
}

const FLAG: Record<SharedNamespace, string> = { network: 'network', uts: 'uts', ipc: 'ipc' };
const PROC_NAME: Record<SharedNamespace, string> = { network: 'net', uts: 'uts', ipc: 'ipc' };

/** --uts and --ipc (docker's values; --pod is checked by the engine, which knows the pods). */
export function readNamespaceFlags(opts: RunOptions, str: (k: string) => string | undefined): void {
  for (const flag of ['uts', 'ipc'] as const) {
    const v = str(flag);
    if (v === undefined) continue;
    const ok = v === 'host' || v === 'private' || (flag === 'ipc' && v === 'shareable') || (v.startsWith('container:') && v.length > 10);
    if (!ok)
      throw new HakoError(
        `invalid argument ${JSON.stringify(v)} for "--${flag}" flag: expected host, private${flag === 'ipc' ? ', shareable' : ''} or container:NAME`,
      );
    if (v !== 'private' && v !== 'shareable') opts[flag] = v;
  }
  const pod = str('pod');
  if (pod !== undefined) {
    if (!pod || pod === 'new:') throw new HakoError(`invalid argument ${JSON.stringify(pod)} for "--pod" flag: a pod name or ID, or new:NAME`);
    opts.pod = pod;
  }
}

/** The joins a container's options ask for, in one list. */
export function namespaceJoins(opts: RunOptions): NamespaceJoin[] {
  const out: NamespaceJoin[] = [];
  const given: [SharedNamespace, string | undefined][] = [
    ['network', opts.network],
    ['uts', opts.uts],
    ['ipc', opts.ipc],
  ];
  for (const [type, v] of given) if (v?.startsWith('container:')) out.push({ type, ref: v.slice('container:'.length) });
  return out;
}

/** At create: namespaces taken from the host are left out, joined ones get their entry (without a
 *  path until start). A joined or the host's uts namespace is not ours to name: no hostname. */
export function applyNamespaceModes(spec: Spec, opts: RunOptions): void {
  const linux = spec.linux!;
  const nss = (linux.namespaces ??= []);
  for (const type of ['uts', 'ipc'] as const) {
    const v = opts[type];
    if (!v) continue;
    linux.namespaces = nss.filter((n) => n.type !== type);
    if (v.startsWith('container:')) linux.namespaces.push({ type });
  }
  if (opts.uts) delete spec.hostname;
}

/**
 * At start: every join's path into config.json (rewritten only when one changed). `find` resolves a
 * reference (it may start a pod's infra container first); a target that is not running is refused
 * in one line naming the flag.
 */
export async function resolveJoins(
  configFile: string,
  opts: RunOptions,
  find: (j: NamespaceJoin) => Promise<JoinTarget>,
  ownNetns?: 'new' | { path: string },
): Promise<void> {
  const joins = namespaceJoins(opts);
  const paths = new Map<SharedNamespace, string | undefined>();
  // The container's own network namespace as its --network says now (`network connect` and
  // `disconnect` of a stopped container change it after create): its pin, a new one, or the host's.
  if (ownNetns) paths.set('network', ownNetns === 'new' ? undefined : ownNetns.path);
  for (const j of joins) {
    const t = await find(j);
    const pin = j.type === 'network' && t.netnsPin && fs.existsSync(t.netnsPin) ? t.netnsPin : undefined;
    if (!pin && !t.pid) {
      const why = j.type === 'network' ? ' (its network is not set up)' : '';
      throw new HakoError(`--${FLAG[j.type]} container:${j.ref}: that container is not running${why}`);
    }
    paths.set(j.type, pin ?? `/proc/${t.pid}/ns/${PROC_NAME[j.type]}`);
  }
  if (!paths.size) return;
  const spec = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Spec;
  let changed = false;
  const nss = (spec.linux!.namespaces ??= []);
  for (const [type, p] of paths) {
    const entry = nss.find((n) => n.type === type);
    if (entry && entry.path === p) continue;
    if (!entry) nss.push(p ? { type, path: p } : { type });
    else if (p) entry.path = p;
    else delete entry.path;
    changed = true;
  }
  if (paths.has('uts') && spec.hostname !== undefined) {
    delete spec.hostname; // the joined namespace's name is its owner's
    changed = true;
  }
  if (changed) fs.writeFileSync(configFile, JSON.stringify(spec, null, 2));
}
