// Images in docker's JSON shapes, for the Engine API (`GET /images/json`, `GET /images/{name}/json`):
// records of the store grouped by image ID (the config digest), as docker lists one image with all
// its tags, and the inspect document with the fields docker's clients read (compose reads Id,
// RepoDigests and ContainerConfig.Volumes; the Python package Id and RepoTags).
import type { ContentStore, ImageRecord } from '../storage/store/index.js';
import { ImageReference, parseReference } from '../oci/image/reference.js';
import { inspect } from './inspect.js';

/** `busybox:latest` for docker.io/library/busybox:latest; the raw string when it does not parse. */
export function familiarName(reference: string): string {
  try {
    return parseReference(reference).familiar();
  } catch {
    return reference;
  }
}

/** `name@digest` for each repository that holds the image (docker's RepoDigests). */
function repoDigests(records: ImageRecord[]): string[] {
  const out = new Set<string>();
  for (const r of records) {
    try {
      const ref = parseReference(r.reference);
      out.add(`${new ImageReference(ref.domain, ref.path).familiar()}@${r.digest}`);
    } catch {
      /* unparsable: none */
    }
  }
  return [...out];
}

/** The image's tags (references with a tag, familiar form); `name@digest` records are not tags. */
function repoTags(records: ImageRecord[]): string[] {
  return records.filter((r) => !r.reference.includes('@')).map((r) => familiarName(r.reference));
}

/** Records of the store by image ID, in the store's order. */
export function imagesById(store: ContentStore): Map<string, ImageRecord[]> {
  const byId = new Map<string, ImageRecord[]>();
  for (const rec of store.listImages()) {
    const list = byId.get(rec.config) ?? [];
    list.push(rec);
    byId.set(rec.config, list);
  }
  return byId;
}

interface ConfigHead {
  created?: string;
  config?: { Labels?: Record<string, string> };
}

/** Seconds since the epoch of an image's `created`, 0 when it has none. */
function createdSeconds(created: string | undefined): number {
  const t = created ? Date.parse(created) : Number.NaN;
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

/** One entry of `GET /images/json`. */
export function imageSummary(store: ContentStore, id: string, records: ImageRecord[]): Record<string, unknown> {
  let cfg: ConfigHead = {};
  try {
    cfg = store.readJSON<ConfigHead>(id);
  } catch {
    /* config blob missing: summary without it */
  }
  const size = records[0]?.size ?? 0;
  return {
    Id: id,
    ParentId: '',
    RepoTags: repoTags(records),
    RepoDigests: repoDigests(records),
    Created: createdSeconds(cfg.created),
    Size: size,
    VirtualSize: size,
    SharedSize: -1,
    Labels: cfg.config?.Labels ?? {},
    Containers: -1,
  };
}

/** docker's inspect document of the image `ref` (a reference or an ID). */
export function imageDocument(store: ContentStore, ref: string): Record<string, unknown> {
  const info = inspect(store, ref);
  const records = imagesById(store).get(info.id) ?? [];
  const c = info.config;
  const raw = (info.image.config ?? {}) as Record<string, unknown>;
  const config = {
    Hostname: '',
    Domainname: '',
    User: c.User,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: Object.keys(c.ExposedPorts).length ? c.ExposedPorts : null,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env,
    Cmd: c.Cmd?.length ? c.Cmd : null,
    // Set by HEALTHCHECK, SHELL and ONBUILD; docker shows them only when the image has them.
    ...(raw.Healthcheck ? { Healthcheck: raw.Healthcheck } : {}),
    ...(raw.ArgsEscaped ? { ArgsEscaped: raw.ArgsEscaped } : {}),
    Image: '',
    Volumes: Object.keys(c.Volumes).length ? c.Volumes : null,
    WorkingDir: c.WorkingDir,
    Entrypoint: c.Entrypoint?.length ? c.Entrypoint : null,
    OnBuild: Array.isArray(raw.OnBuild) && raw.OnBuild.length ? raw.OnBuild : null,
    Labels: Object.keys(c.Labels).length ? c.Labels : null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(Array.isArray(raw.Shell) && raw.Shell.length ? { Shell: raw.Shell } : {}),
  };
  return {
    Id: info.id,
    RepoTags: repoTags(records),
    RepoDigests: repoDigests(records),
    Parent: '',
    Comment: '',
    Created: info.created ?? new Date(0).toISOString(),
    Container: '',
    // Gone from docker's own images since BuildKit, still read by compose 1.29 when it recreates.
    ContainerConfig: config,
    DockerVersion: '',
    Author: info.image.author ?? '',
    Config: config,
    Architecture: info.architecture,
    ...(info.variant ? { Variant: info.variant } : {}),
    Os: info.os,
    Size: info.size,
    VirtualSize: info.size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: info.layers.map((l) => l.diffID) },
    Metadata: { LastTagTime: records[0]?.tagged ?? '' },
  };
}

/** docker's `GET /images/json` list, newest first (docker's order). */
export function imageSummaries(store: ContentStore, opts: { reference?: string[]; labels?: string[]; dangling?: boolean } = {}): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [id, records] of imagesById(store)) {
    const s = imageSummary(store, id, records);
    if (opts.reference?.length && !opts.reference.some((p) => (s.RepoTags as string[]).some((t) => referenceMatches(p, t)))) continue;
    if (opts.labels?.length && !opts.labels.every((l) => labelMatches(l, s.Labels as Record<string, string>))) continue;
    if (opts.dangling === true) continue; // every stored image is tagged: nothing is dangling
    out.push(s);
  }
  return out.sort((a, b) => (b.Created as number) - (a.Created as number));
}

/** docker's `reference` filter: a glob over `name[:tag]`, a bare name matching every tag. */
export function referenceMatches(pattern: string, tag: string): boolean {
  const re = (p: string) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
    );
  const colon = tag.lastIndexOf(':');
  const name = colon > tag.lastIndexOf('/') ? tag.slice(0, colon) : tag;
  return re(pattern).test(tag) || re(pattern).test(name);
}

/** `label=KEY` or `label=KEY=VALUE`. */
export function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
