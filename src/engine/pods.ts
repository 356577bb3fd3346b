// Pods in podman's sense: containers that share the network, UTS and IPC namespaces of one infra
// container, whose process is catatonit's pause mode (`catatonit -P`, as podman's own pause image)
// bind-mounted into the built-in busybox image: no image to pull. The pod's ports, network and
// hostname are the infra container's; a member joins its namespaces at each start
// (namespace-join.ts), which first starts the infra container when it is not running.
// The record is <root>/pods/<id>.json; the members are the containers whose options name the pod
// (no second list to keep in step). Pod and container names share one space, as podman's.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { readVersioned, stampVersion, type DocumentFormat } from '../util/format-version.js';
import { BUILTIN_IMAGE } from './builtin-image.js';
import { parseRunArgs } from './flags.js';
import { randomName } from './names.js';
import { NAME_RE, newId, writeJSON, type ContainerStore } from './store.js';
import type { ContainerConfig, ContainerState, PortMapping, RunOptions } from './types.js';

/** What pods use of the engine (engine.ts's Engine; an interface, as the engine imports this). */
export interface PodEngine {
  readonly root: string;
  readonly store: ContainerStore;
  list(): Promise<{ config: ContainerConfig; state: ContainerState }[]>;
  refresh(id: string): Promise<ContainerState>;
  create(opts: RunOptions): Promise<ContainerConfig>;
  start(ref: string): Promise<string>;
  stop(ref: string, timeout?: number): Promise<string>;
  kill(ref: string, signal?: string): Promise<void>;
  remove(ref: string, opts?: { force?: boolean; volumes?: boolean }): Promise<string>;
}

/** The infra container's pause process: the catatonit of `run --init` (static), in pause mode. */
const PAUSE_BINARY = '/usr/bin/catatonit';

export const POD_FORMAT: DocumentFormat = { what: 'pod record', current: 1 };

export interface PodConfig {
  id: string;
  name: string;
  created: string;
  hostname: string;
  labels: Record<string, string>;
  /** --network of the infra container ('' for the default) and its -p, as given. */
  network: string;
  publish: string[];
  infraId: string;
}

export interface PodCreateOptions {
  name?: string;
  hostname?: string;
  network?: string;
  publish?: string[];
  labels?: Record<string, string>;
}

export type PodStatus = 'Created' | 'Running' | 'Degraded' | 'Exited';

export interface PodMember {
  config: ContainerConfig;
  state: ContainerState;
}

const PAUSE_PATH = '/catatonit';

export class Pods {
  readonly dir: string;

  constructor(readonly engine: PodEngine) {
    this.dir = path.join(engine.root, 'pods');
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  list(): PodConfig[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: PodConfig[] = [];
    for (const n of names.filter((x) => /^[0-9a-f]{64}\.json$/.test(x))) {
      const file = path.join(this.dir, n);
      try {
        out.push(readVersioned<PodConfig>(JSON.parse(fs.readFileSync(file, 'utf8')), file, POD_FORMAT));
      } catch {
        /* being removed */
      }
    }
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  exists(id: string): boolean {
    return fs.existsSync(this.file(id));
  }

  /** A pod by full id, name, or unique id prefix. */
  resolve(ref: string): PodConfig {
    const all = this.list();
    const hit = all.find((p) => p.id === ref) ?? all.find((p) => p.name === ref);
    if (hit) return hit;
    const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((p) => p.id.startsWith(ref)) : [];
    if (byPrefix.length > 1) throw new HakoError(`pod "${ref}" is ambiguous: ${byPrefix.length} pods have IDs starting with it`);
    if (!byPrefix.length) throw new HakoError(`no such pod: ${ref}`);
    return byPrefix[0];
  }

  /** The pod named `name`, if any (containers check their names against it). */
  named(name: string): PodConfig | undefined {
    return this.list().find((p) => p.name === name);
  }

  /** `pod create`: the record and its infra container (created, not started, as podman's). */
  async create(o: PodCreateOptions): Promise<PodConfig> {
    const name = o.name ?? randomName();
    if (!NAME_RE.test(name) || name.length > 255) throw new HakoError(`invalid pod name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (this.named(name)) throw new HakoError(`the pod name "${name}" is already in use by another pod`);
    if (containerNamed(this.engine, name)) throw new HakoError(`the pod name "${name}" is already in use by a container`);
    if (!fs.existsSync(PAUSE_BINARY))
      throw new HakoError(`pods need ${PAUSE_BINARY} (Debian package catatonit) for their infra process, which is not installed`);
    const id = newId();
    // podman's: the pod's name, here made a valid host name (`_` is not one; at most 63 characters).
    const hostname = o.hostname ?? name.replace(/_/g, '-').slice(0, 63);
    const args = ['--name', `${id.slice(0, 12)}-infra`, '--hostname', hostname, '--network', o.network ?? ''];
    for (const p of o.publish ?? []) args.push('--publish', p);
    args.push('-v', `${PAUSE_BINARY}:${PAUSE_PATH}:ro`, '--entrypoint', PAUSE_PATH, '--stop-signal', 'SIGINT', '--label', `org.hako.pod=${id}`);
    args.push(BUILTIN_IMAGE, '-P'); // catatonit -P: pause until SIGINT or SIGTERM
    const infraOpts = parseRunArgs(args, 'pod create');
    infraOpts.infraOf = id;
    if (!o.network) infraOpts.network = '';
    const pod: PodConfig = {
      id,
      name,
      created: new Date().toISOString(),
      hostname,
      labels: o.labels ?? {},
      network: o.network ?? '',
      publish: o.publish ?? [],
      infraId: '',
    };
    this.claimName(name, id);
    writeJSON(this.file(id), stampVersion(pod, POD_FORMAT)); // first: the infra's removal checks it
    try {
      pod.infraId = (await this.engine.create(infraOpts)).id;
      writeJSON(this.file(id), stampVersion(pod, POD_FORMAT));
    } catch (e) {
      fs.rmSync(this.file(id), { force: true });
      fs.rmSync(this.nameFile(name), { force: true });
      throw e;
    }
    return pod;
  }

  private nameFile(name: string): string {
    return path.join(this.dir, 'names', name);
  }

  /** The name as a file made with O_EXCL, so of two racing `pod create --name x` one wins (as
   *  containers' names, store.ts); a claim whose pod record is gone is stale and taken over. */
  private claimName(name: string, id: string): void {
    fs.mkdirSync(path.join(this.dir, 'names'), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(this.nameFile(name), id, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = fs.readFileSync(this.nameFile(name), 'utf8');
      if (this.exists(owner) || this.recent(this.nameFile(name))) throw new HakoError(`the pod name "${name}" is already in use by another pod`);
      fs.writeFileSync(this.nameFile(name), id);
    }
  }

  /** A claim younger than a minute may belong to a create still under way (its record comes next). */
  private recent(file: string): boolean {
    try {
      return Date.now() - fs.statSync(file).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }

  /** The pod's containers other than its infra, newest first. */
  async members(pod: PodConfig): Promise<PodMember[]> {
    return (await this.engine.list()).filter((c) => c.config.options.pod === pod.id && c.config.id !== pod.infraId);
  }

  async infraState(pod: PodConfig): Promise<ContainerState | undefined> {
    try {
      return await this.engine.refresh(pod.infraId);
    } catch {
      return undefined;
    }
  }

  /** podman's words: Created (nothing ever ran), Running (all), Exited (none), Degraded (some). */
  async status(pod: PodConfig): Promise<PodStatus> {
    const states = [(await this.infraState(pod))?.status, ...(await this.members(pod)).map((m) => m.state.status)];
    const running = states.filter((s) => s === 'running' || s === 'restarting').length;
    if (running && running === states.length) return 'Running';
    if (running) return 'Degraded';
    return states.every((s) => s === 'created' || s === undefined) ? 'Created' : 'Exited';
  }

  /** Starts the infra container, then every member. Members still running in the namespaces of an
   *  infra container that died are stopped first: they would not share the new ones. */
  async start(pod: PodConfig): Promise<void> {
    const infra = await this.infraState(pod);
    if (!infra) throw new HakoError(`pod "${pod.name}": its infra container ${pod.infraId.slice(0, 12)} is gone: remove the pod`);
    const members = await this.members(pod);
    if (infra.status !== 'running') for (const m of members) if (m.state.status === 'running') await this.engine.stop(m.config.id, 0);
    await this.engine.start(pod.infraId);
    for (const m of members) await this.engine.start(m.config.id);
  }

  /** Stops the members, then the infra container. */
  async stop(pod: PodConfig, timeout?: number): Promise<void> {
    for (const m of await this.members(pod)) if (m.state.status === 'running' || m.state.status === 'restarting') await this.engine.stop(m.config.id, timeout);
    if ((await this.infraState(pod))?.status === 'running') await this.engine.stop(pod.infraId, timeout);
  }

  /** Sends `signal` to every running container of the pod; refused when none runs. */
  async kill(pod: PodConfig, signal: string): Promise<void> {
    const ids = (await this.members(pod)).filter((m) => m.state.status === 'running').map((m) => m.config.id);
    if ((await this.infraState(pod))?.status === 'running') ids.push(pod.infraId);
    if (!ids.length) throw new HakoError(`pod "${pod.name}" has no running container to kill`);
    for (const id of ids) await this.engine.kill(id, signal);
  }

  /** `pod rm`: refused while something of the pod runs, unless forced; then the members, the record
   *  and the infra container (removable alone only once the record is gone). */
  async remove(pod: PodConfig, force = false): Promise<void> {
    const members = await this.members(pod);
    if (!force) {
      const running = members.filter((m) => m.state.status === 'running' || m.state.status === 'restarting').map((m) => m.config.name);
      if ((await this.infraState(pod))?.status === 'running') running.push(`${pod.infraId.slice(0, 12)}-infra`);
      if (running.length) throw new HakoError(`pod "${pod.name}" has running containers (${running.join(', ')}): stop the pod first, or use -f`);
    }
    for (const m of members) await this.engine.remove(m.config.id, { force: true, volumes: true });
    fs.rmSync(this.file(pod.id), { force: true });
    fs.rmSync(this.nameFile(pod.name), { force: true });
    if (await this.infraState(pod)) await this.engine.remove(pod.infraId, { force: true });
  }
}

/** `run --pod NAME|new:NAME`: the options a member gets (the pod's namespaces through its infra
 *  container); what a member cannot have of its own is refused as podman refuses it. Returns what
 *  undoes a pod made here, for a create that fails later. */
export async function joinPod(pods: Pods, opts: RunOptions): Promise<() => Promise<void>> {
  const ref = opts.pod!;
  const conflict =
    opts.publish.length || opts.publishAll ? 'publish' : opts.network ? 'network' : opts.hostname ? 'hostname' : opts.uts ? 'uts' : opts.ipc ? 'ipc' : '';
  if (conflict)
    throw new HakoError(`--${conflict}: conflicts with --pod ${ref} (a pod's containers share its network and names: set them on the pod, hako pod create)`);
  const made = ref.startsWith('new:');
  const pod = made ? await pods.create({ name: ref.slice(4) }) : pods.resolve(ref);
  const infra = `container:${pod.infraId}`;
  Object.assign(opts, { pod: pod.id, network: infra, uts: infra, ipc: infra, hostname: pod.hostname });
  return made ? () => pods.remove(pod, true) : async () => {};
}

function containerNamed(e: PodEngine, name: string): boolean {
  try {
    return e.store.readConfig(e.store.resolve(name)).name === name;
  } catch {
    return false;
  }
}

/** A port list as podman's inspect shows it. */
export function portBindings(ports: PortMapping[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIP, HostPort: String(p.hostPort) });
  return out;
}
