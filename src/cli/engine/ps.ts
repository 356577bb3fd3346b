// `hako ps`: containers as docker's table, JSON lines or a --format template, chosen by docker's
// filters (src/engine/ps-filter.ts).
import { EngineError } from '../../engine/exit-codes.js';
import { formatList } from '../../engine/format.js';
import type { Engine } from '../../engine/engine.js';
import { type PsEntry, selectContainers } from '../../engine/ps-filter.js';
import { psRow } from '../../engine/ps-rows.js';
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
// docker's ContainerContext headers.
const HEADERS = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Label: 'LABEL',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  ExitCode: 'EXIT CODE',
  Pod: 'POD ID',
  PodName: 'PODNAME',
};

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    all: { type: 'boolean', short: 'a', help: 'all containers (default: running ones)' },
    filter: {
      type: 'string',
      short: 'f',
      multiple: true,
      value: 'KEY=VALUE',
      help: 'status, name, id, label, ancestor, exited, before, since, health, volume, network, pod (repeatable)',
    },
    pod: { type: 'boolean', help: "podman's: the pod of each container (POD ID, PODNAME)" },
    quiet: { type: 'boolean', short: 'q', help: 'IDs only' },
    format: { type: 'string', value: 'F', help: 'table, json, or a Go template ({{.ID}}, {{.Names}}, …; "table …" adds a header)' },
    'no-trunc': { type: 'boolean', help: 'full IDs and commands' },
    last: { type: 'string', short: 'n', value: 'N', help: 'the N last created containers (every state)' },
    latest: { type: 'boolean', short: 'l', help: 'the latest created container (every state)' },
    size: { type: 'boolean', short: 's', help: "the container layer's size (and with its image: virtual)" },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError(`"hako ps" accepts no arguments (got "${positionals[0]}")`);
    const last = v.latest ? 1 : v.last === undefined ? undefined : lastCount(v.last as string);
    const e = engineOf(ctx);
    await e.reapNetworks(); // containers that died unseen still hold addresses and namespaces
    const { healthWord } = await import('../../engine/health.js');
    const podOf = await podLookup(e);
    const entries = selectContainers(
      await e.list(),
      { all: Boolean(v.all), last, filters: (v.filter as string[] | undefined) ?? [] },
      {
        resolveImage: (ref) => e.images.resolve(ref)?.config,
        resolveContainer: (ref) => e.store.resolve(ref),
        health: (x) => healthWord(e, x.config.id),
        networksOf: (x) => networksOf(e, x),
        podOf,
      },
    );
    const noTrunc = Boolean(v['no-trunc']);
    const rows = [];
    for (const x of entries) {
      const pod = podOf(x);
      const podFields = { Pod: pod ? (noTrunc ? pod.id : pod.id.slice(0, 12)) : '', PodName: pod?.name ?? '' };
      rows.push(Object.assign(psRow(x.config, x.state, Date.now(), await extras(e, x, Boolean(v.size), noTrunc)), podFields));
    }
    const table = DEFAULT_TABLE + (v.size ? '\t{{.Size}}' : '') + (v.pod ? '\t{{.Pod}}\t{{.PodName}}' : '');
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    else process.stdout.write(formatList(v.format as string | undefined, rows, { defaultTable: table, headers: HEADERS }));
    return 0;
  },
};
export default command;

function lastCount(text: string): number {
  if (!/^-?\d{1,9}$/.test(text)) throw new EngineError(`invalid argument "${text}" for "-n, --last" flag: expected an integer`);
  return Number(text);
}

/** The pod of a container, from the pod records (read once). */
async function podLookup(e: Engine): Promise<(x: PsEntry) => { id: string; name: string } | undefined> {
  const { Pods } = await import('../../engine/pods.js');
  const byId = new Map(new Pods(e).list().map((p) => [p.id, p]));
  return (x) => {
    const id = x.config.options.pod ?? x.config.options.infraOf;
    return id ? byId.get(id) : undefined;
  };
}

function networksOf(e: Engine, x: PsEntry): string[] {
  return e.networks.state(e.store.containerDir(x.config.id))?.networks.map((n) => n.name) ?? [];
}

async function extras(e: Engine, x: PsEntry, size: boolean, noTrunc: boolean) {
  const { healthStatusText } = await import('../../engine/health.js');
  const net = e.networks.state(e.store.containerDir(x.config.id));
  const ports = (net?.ports ?? [])
    .map((p) => `${p.hostIP?.includes(':') ? `[${p.hostIP}]` : p.hostIP || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`)
    .join(', ');
  let sized: { rw: number; virtual: number } | undefined;
  if (size) {
    const { containerSize } = await import('../../engine/prune.js');
    const rw = await containerSize(e, x.config.id);
    sized = { rw, virtual: rw + (e.images.resolve(x.config.imageId)?.size ?? 0) };
  }
  return { networks: net?.networks.map((n) => n.name) ?? [], ports, size: sized, health: healthStatusText(e, x.config.id), noTrunc };
}
