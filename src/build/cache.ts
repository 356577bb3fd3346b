// The build cache: for each step, a key made of the parent step's key, the instruction as it runs
// (variables expanded, the RUN's build-arg environment) and the checksums of what it reads (COPY/ADD
// sources), mapped to what the step produced: its layer (a blob in the store) and its creation
// time, so that a build from cache gives the very same image ID. An entry whose layer blob is gone
// (a store gc) is a miss. Entries are small JSON files under <root>/build-cache/.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ContentStore } from '../storage/store/index.js';
import { ensurePrivateDir } from '../storage/store/index.js';
import type { BuiltLayer } from './layer.js';

export interface CacheEntry {
  created: string;
  layer?: BuiltLayer;
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
    return entry;
  }

  put(key: string, entry: CacheEntry): void {
    const file = path.join(this.dir, `${key}.json`);
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, JSON.stringify({ formatVersion: FORMAT_VERSION, ...entry }));
    fs.renameSync(tmp, file);
  }
}
