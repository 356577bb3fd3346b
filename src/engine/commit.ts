// `hako commit`: a new image from a container's changes. The upper directory (the container's, read
// by the native worker only) becomes one more gzipped layer over the image's, with overlayfs's marks
// turned into the OCI whiteouts (`.wh.NAME`, `.wh..wh..opq`); the config gets its diff_id, a
// history step and the `--change` instructions.
import crypto from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { HakoError } from '../util/errors.js';
import { LayerWorker } from '../storage/layers/worker.js';
import type { ImageRecord } from '../storage/store/index.js';
import { MediaType, type ContainerConfig as ImageRunConfig, type ImageConfig, type ImageManifest } from '../oci/image/types.js';
import type { Engine } from './engine.js';
import { isMountPlaceholder, overlayDirs, walkTree, type UpperEntry } from './changes.js';
import { openFile } from './cp/container.js';
import { writeTar } from './cp/tar.js';
import type { Entry } from './cp/entries.js';

export interface CommitOptions {
  /** REPOSITORY[:TAG]; without it the image is kept by digest only (dangling, as docker's <none>). */
  reference?: string;
  author?: string;
  message?: string;
  /** Dockerfile instructions: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, STOPSIGNAL, VOLUME. */
  changes?: string[];
}

const empty = (rel: string, like: Entry): Entry => ({
  ...like,
  rel,
  type: 'f',
  size: 0,
  mode: 0o644,
  open: async () => ({ stream: Readable.from([]), done: () => {} }),
});

/** The upper directory's entries as layer entries: whiteouts and opaque markers in OCI form. */
async function* layerEntries(worker: LayerWorker, entries: UpperEntry[]): AsyncGenerator<Entry> {
  for (const e of entries) {
    if (isMountPlaceholder(e)) continue;
    if (e.whiteout) {
      const dir = path.posix.dirname(e.rel);
      yield empty(`${dir === '.' ? '' : `${dir}/`}.wh.${path.posix.basename(e.rel)}`, e);
      continue;
    }
    yield e.type === 'f' ? { ...e, open: () => openFile(worker, e.rel, e.size) } : e;
    if (e.opaque) yield empty(`${e.rel}/.wh..wh..opq`, e);
  }
}

/** A JSON array or a shell form (`CMD echo hi` -> ["/bin/sh","-c","echo hi"]). */
function commandOf(v: string): string[] {
  if (v.trim().startsWith('[')) {
    try {
      return JSON.parse(v) as string[];
    } catch {
      throw new HakoError(`--change: invalid JSON array: ${v}`);
    }
  }
  return ['/bin/sh', '-c', v];
}

export function applyChanges(base: ImageRunConfig, changes: string[]): ImageRunConfig {
  const c: ImageRunConfig = { ...base };
  for (const change of changes) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(change);
    if (!m) throw new HakoError(`--change: expected "INSTRUCTION ARGUMENTS", got "${change}"`);
    const [, op, arg] = [m[0], m[1]!.toUpperCase(), m[2]!.trim()];
    const kv = () => {
      const eq = arg.indexOf('=');
      return eq < 0 ? (arg.split(/\s+/, 2) as [string, string]) : [arg.slice(0, eq), arg.slice(eq + 1)];
    };
    switch (op) {
      case 'CMD':
        c.Cmd = commandOf(arg);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = commandOf(arg);
        break;
      case 'ENV': {
        const [k, v] = kv();
        c.Env = [...(c.Env ?? []).filter((e) => !e.startsWith(`${k}=`)), `${k}=${v ?? ''}`];
        break;
      }
      case 'LABEL': {
        const [k, v] = kv();
        c.Labels = { ...(c.Labels ?? {}), [k]: v ?? '' };
        break;
      }
      case 'EXPOSE':
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}), [arg.includes('/') ? arg : `${arg}/tcp`]: {} };
        break;
      case 'USER':
        c.User = arg;
        break;
      case 'WORKDIR':
        c.WorkingDir = arg;
        break;
      case 'STOPSIGNAL':
        c.StopSignal = arg;
        break;
      case 'VOLUME':
        c.Volumes = { ...(c.Volumes ?? {}), [arg]: {} };
        break;
      default:
        throw new HakoError(`--change: ${op} is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, STOPSIGNAL, VOLUME)`);
    }
  }
  return c;
}

/** The upper directory as a layer tar (OCI whiteouts) on `out`: `checkpoint --export`'s root
 *  filesystem changes. */
export async function writeUpperLayer(upper: string, out: Writable): Promise<void> {
  const worker = new LayerWorker(upper, upper, 'checkpoint');
  try {
    const entries = await walkTree(worker, upper);
    await writeTar(out, '', layerEntries(worker, entries));
    await worker.close();
  } catch (err) {
    await worker.abort();
    throw err;
  }
}

/** The tar of the upper directory, gzipped into the store; its diff_id. */
async function storeLayer(e: Engine, upper: string): Promise<{ digest: string; size: number; diffID: string }> {
  const worker = new LayerWorker(upper, upper, 'commit');
  try {
    const entries = await walkTree(worker, upper);
    const tarOut = new PassThrough();
    const hash = crypto.createHash('sha256');
    tarOut.on('data', (c: Buffer) => hash.update(c));
    const gz = tarOut.pipe(zlib.createGzip());
    const stored = e.images.putBlob(gz);
    await writeTar(tarOut, '', layerEntries(worker, entries));
    tarOut.end();
    const blob = await stored;
    await worker.close();
    return { ...blob, diffID: `sha256:${hash.digest('hex')}` };
  } catch (err) {
    await worker.abort();
    throw err;
  }
}

export async function commitContainer(e: Engine, ref: string, opts: CommitOptions = {}): Promise<ImageRecord> {
  const id = e.store.resolve(ref);
  const cfg = e.store.readConfig(id);
  const base = e.images.listImages().find((r) => r.config === cfg.imageId);
  if (!base) throw new HakoError(`commit ${ref}: its image ${cfg.imageId.slice(7, 19)} is no longer in the store`);
  const runConfig = applyChanges(e.images.readJSON<ImageConfig>(base.config).config ?? {}, opts.changes ?? []);
  const layer = await storeLayer(e, overlayDirs(e.store.containerDir(id)).upper);
  const baseConfig = e.images.readJSON<ImageConfig>(base.config);
  const baseManifest = e.images.readJSON<ImageManifest>(base.manifest);
  const created = new Date().toISOString();
  const config: ImageConfig = {
    ...baseConfig,
    created,
    ...(opts.author ? { author: opts.author } : {}),
    config: runConfig,
    rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, layer.diffID] },
    history: [...(baseConfig.history ?? []), { created, created_by: [cfg.path, ...cfg.args].join(' '), ...(opts.message ? { comment: opts.message } : {}) }],
  };
  const c = await e.images.putBlob(JSON.stringify(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: c.digest, size: c.size },
    layers: [...baseManifest.layers, { mediaType: MediaType.OCI_LAYER_GZIP, digest: layer.digest, size: layer.size }],
  };
  const m = await e.images.putBlob(JSON.stringify(manifest));
  const rec = e.images.tag(opts.reference ?? `hako.local/committed@${m.digest}`, m.digest);
  e.event(id, 'commit', { comment: opts.message ?? '' });
  return rec;
}
