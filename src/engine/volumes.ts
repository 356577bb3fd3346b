// Named volumes: `<root>/volumes/<name>/_data`, mounted by `-v NAME:/path` (engine.ts makes a
// missing one on first use, as docker does) and managed by `hako volume create|ls|inspect|rm|prune`.
// `volume.json` beside `_data` keeps what `volume create` was told (labels, creation time); a
// volume made by `-v` has none and gets its directory's time. What is inside `_data` was written by
// containers: it is sized and removed through the native worker only (never followed, never
// recursed on a stack), and never read by Node through a path.
import { rec } from '../native/ops.js';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { HakoError } from '../util/errors.js';
import { LayerWorker, removeTree } from '../storage/layers/worker.js';
import type { ContainerConfig } from './types.js';
import { recordEvent } from './events.js';

/** docker's rule for volume names (one character is enough, as for `-v NAME:/path`). */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
  /** hako's: made by `-v /path` for one container (removed with it by `rm -v` / `--rm`). */
  Anonymous: boolean;
}

interface VolumeFile {
  created: string;
  labels: Record<string, string>;
}

export class VolumeStore {
  readonly dir: string;

  constructor(private readonly root: string) {
    this.dir = path.join(root, 'volumes');
  }

  private volumeDir(name: string): string {
    return path.join(this.dir, name);
  }

  exists(name: string): boolean {
    return NAME_RE.test(name) && fs.existsSync(path.join(this.volumeDir(name), '_data'));
  }

  /** Creates a volume (a random 64-hex name without one); an existing one is returned as it is. */
  create(name: string | undefined, opts: { labels?: Record<string, string>; driver?: string; options?: Record<string, string> } = {}): VolumeInfo {
    if (opts.driver !== undefined && opts.driver !== 'local') throw new HakoError(`volume create: driver "${opts.driver}" is not supported (only local)`);
    const optNames = Object.keys(opts.options ?? {});
    if (optNames.length) throw new HakoError(`volume create: driver option "${optNames[0]}" is not supported (the local driver keeps a directory)`);
    const n = name ?? crypto.randomBytes(32).toString('hex');
    if (!NAME_RE.test(n) || n.length > 255)
      throw new HakoError(`volume create: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`);
    if (this.exists(n)) return this.inspect(n);
    fs.mkdirSync(path.join(this.volumeDir(n), '_data'), { recursive: true, mode: 0o755 });
    const meta: VolumeFile = { created: new Date().toISOString(), labels: opts.labels ?? {} };
    fs.writeFileSync(path.join(this.volumeDir(n), 'volume.json'), `${JSON.stringify(meta)}\n`);
    recordEvent(this.root, 'volume', 'create', n, { driver: 'local' });
    return this.inspect(n);
  }

  /** Every volume, by name. */
  list(): VolumeInfo[] {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      /* none yet */
    }
    return names
      .filter((n) => this.exists(n))
      .sort()
      .map((n) => this.inspect(n));
  }

  inspect(name: string): VolumeInfo {
    if (!this.exists(name)) throw new HakoError(`no such volume: ${name}`);
    const dir = this.volumeDir(name);
    let meta: VolumeFile | undefined;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, 'volume.json'), 'utf8')) as VolumeFile;
    } catch {
      /* made by -v: no metadata */
    }
    return {
      Name: name,
      Driver: 'local',
      Mountpoint: path.join(dir, '_data'),
      CreatedAt: meta?.created ?? fs.statSync(dir).mtime.toISOString(),
      Labels: meta?.labels ?? {},
      Options: {},
      Scope: 'local',
      Anonymous: name.startsWith('anon-'),
    };
  }

  /** Removes a volume and everything in it; `users` are the containers that use it (refused then). */
  remove(name: string, users: ContainerConfig[]): void {
    if (!this.exists(name)) throw new HakoError(`no such volume: ${name}`);
    if (users.length) throw new HakoError(`remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`);
    removeTree(this.volumeDir(name));
    recordEvent(this.root, 'volume', 'destroy', name, { driver: 'local' });
  }

  /** Bytes of content in a volume, counted by the worker (the tree is the containers'). */
  async size(name: string): Promise<number> {
    return treeSize(path.join(this.volumeDir(name), '_data'));
  }
}

/** The containers whose mounts name volume `name`. */
export function volumeUsers(name: string, containers: ContainerConfig[]): ContainerConfig[] {
  return containers.filter((c) => c.options.volumes.some((v) => v.type === 'volume' && v.source === name));
}

/** Bytes of regular files (and symlinks) below `dir`, an untrusted tree, walked by the native
 *  worker without following anything; 0 when dir is missing. */
export async function treeSize(dir: string): Promise<number> {
  if (!fs.existsSync(dir)) return 0;
  const worker = new LayerWorker(dir, dir, 'size');
  try {
    const answer = await worker.query(rec('walk'), dir);
    await worker.close();
    let bytes = 0;
    for (const rec of answer) if (rec[0]?.toString() === 'e' && ['f', 'l'].includes(rec[2]?.toString() ?? '')) bytes += Number(rec[8]?.toString() ?? 0);
    return bytes;
  } catch (e) {
    await worker.abort();
    throw e;
  }
}
