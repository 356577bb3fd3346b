// The build cache: for each step, a key made of the parent step's key, the instruction as it runs
// (variables expanded, the RUN's build-arg environment) and the checksums of what it reads (COPY/ADD
// sources), mapped to what the step produced: its layer (a blob in the store) and its creation
// time, so that a build from cache gives the very same image ID. An entry whose layer blob is gone
// (a store gc) is a miss. Entries are small JSON files under <root>/build-cache/.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ContentStore } from '../storage/store/index.js';
import { GC_GRACE_MS, ensurePrivateDir } from '../storage/store/index.js';
import type { BuiltLayer } from './layer.js';

export interface CacheEntry {
  created: string;
  layer?: BuiltLayer;
  /** How many builds used it (its first one included): docker's USAGE in `system df -v`. */
  uses?: number;
}

/** The entries' format (src/util/format-version.ts's field name). A cache entry of another version
 *  is a miss, not an error: the step runs again and writes it anew. */
const FORMAT_VERSION = 1;

export function stepKey(parent: string, ...parts: string[]): string {
  const h = crypto.createHash('sha256').update(parent);
  for (const p of parts) h.update('\0').update(p);
  return h.digest('hex');
}

export class BuildCache {
  private readonly dir: string;

  constructor(
    private readonly store: ContentStore,
    private readonly disabled: boolean,
  ) {
    this.dir = path.join(store.root, 'build-cache');
    ensurePrivateDir(this.dir);
  }

  get(key: string): CacheEntry | undefined {
    if (this.disabled) return undefined;
    let entry: CacheEntry & { formatVersion?: unknown };
    try {
      entry = JSON.parse(fs.readFileSync(path.join(this.dir, `${key}.json`), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
    if (entry?.formatVersion !== FORMAT_VERSION || typeof entry.created !== 'string') return undefined;
    if (entry.layer && !this.store.hasBlob(entry.layer.digest)) return undefined;
    if (entry.layer) this.store.touchBlob(entry.layer.digest); // a gc's grace period keeps it a while
    // Rewritten: one more use, and the file's time is its last use (`builder prune --filter until=`).
    const { formatVersion: _, ...kept } = entry;
    this.put(key, { ...kept, uses: (typeof entry.uses === 'number' ? entry.uses : 1) + 1 });
    return entry;
  }

  put(key: string, entry: CacheEntry): void {
    const file = path.join(this.dir, `${key}.json`);
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, JSON.stringify({ formatVersion: FORMAT_VERSION, ...entry }));
    fs.renameSync(tmp, file);
  }
}

/** A cache entry as `system df -v` lists it (docker's build cache table). */
export interface CacheUsage {
  id: string;
  size: number;
  created: string;
  lastUsed: Date;
  uses: number;
  /** Its layer is also an image's. */
  shared: boolean;
}

/** The build cache's entries, with their layers' sizes; unusable entries are left out. */
export function buildCacheUsage(store: ContentStore): CacheUsage[] {
  const dir = path.join(store.root, 'build-cache');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const inImages = store.referencedBlobs();
  const out: CacheUsage[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const layer = entryLayer(file);
    if (layer === undefined || (layer && !store.hasBlob(layer))) continue;
    let e: CacheEntry;
    try {
      e = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    } catch {
      continue; // removed meanwhile
    }
    const uses = typeof e.uses === 'number' ? e.uses : 1;
    out.push({
      id: name.slice(0, -'.json'.length),
      size: layer ? (store.blobSize(layer) ?? 0) : 0,
      created: e.created,
      lastUsed: new Date(mtimeOf(file)),
      uses,
      shared: !!layer && inImages.has(layer),
    });
  }
  return out;
}

export interface PruneCacheOptions {
  /** Every entry (`-a`); else only the dangling ones: a layer no image has, or an unusable entry. */
  all: boolean;
  /** Only entries last used before this time (ms since the epoch). */
  until?: number;
  /** Layer blobs written or used within this many ms stay (default: the store gc's grace): a build
   *  in another process writes its layer before the image that names it, and takes no lock between. */
  gracePeriodMs?: number;
}

/** `builder prune`: removes cache entries, then the layer blobs that only they held (a blob that an
 *  image or a kept entry has stays, and one younger than the grace period: gc() removes it later if
 *  nothing took it). Returns the removed entries' keys and the bytes freed. */
export function pruneBuildCache(store: ContentStore, opts: PruneCacheOptions): { removed: string[]; bytes: number } {
  const dir = path.join(store.root, 'build-cache');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return { removed: [], bytes: 0 };
  }
  return store.locked(() => {
    const inImages = store.referencedBlobs();
    const kept = new Set<string>();
    const freed = new Set<string>();
    const removed: string[] = [];
    for (const name of names) {
      const file = path.join(dir, name);
      const layer = entryLayer(file);
      const usable = layer !== undefined && (layer === '' || store.hasBlob(layer));
      const old = opts.until === undefined || mtimeOf(file) < opts.until;
      const dangling = !usable || (layer !== '' && !inImages.has(layer!));
      if (old && (opts.all || dangling)) {
        fs.rmSync(file, { force: true });
        removed.push(name.slice(0, -'.json'.length));
        if (layer) freed.add(layer);
      } else if (layer) kept.add(layer);
    }
    let bytes = 0;
    const cutoff = Date.now() - (opts.gracePeriodMs ?? GC_GRACE_MS);
    for (const d of freed) {
      if (inImages.has(d) || kept.has(d) || mtimeOf(store.blobPath(d)) > cutoff) continue;
      bytes += store.blobSize(d) ?? 0;
      fs.rmSync(store.blobPath(d), { force: true });
    }
    return { removed, bytes };
  });
}

/** The entry's layer digest, '' for an entry without a layer, undefined for one that is unusable. */
function entryLayer(file: string): string | undefined {
  try {
    const e = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry & { formatVersion?: unknown };
    if (e?.formatVersion !== FORMAT_VERSION || typeof e.created !== 'string') return undefined;
    const d = e.layer?.digest;
    if (d === undefined) return '';
    return typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
