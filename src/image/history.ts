// `hako history IMAGE`: the image config's history, newest first, each step that made a layer
// matched with that layer's size, as docker shows it.
import { HakoError } from '../util/errors.js';
import type { ContentStore } from '../storage/store/index.js';
import type { ImageConfig, ImageManifest } from '../oci/image/types.js';

export interface HistoryRow {
  /** The image ID on the newest step, `<missing>` on the others (docker: steps are not images). */
  ID: string;
  CreatedAt: string;
  CreatedBy: string;
  /** Bytes of the step's layer (compressed, as stored); 0 for a step without one. */
  Size: number;
  Comment: string;
}

export function imageHistory(store: ContentStore, ref: string): HistoryRow[] {
  const rec = store.resolve(ref);
  if (!rec) throw new HakoError(`no such image: ${ref}`);
  const config = store.readJSON<ImageConfig>(rec.config);
  const layers = store.readJSON<ImageManifest>(rec.manifest).layers;
  const steps = config.history?.length ? config.history : layers.map(() => ({ created: config.created, created_by: '', comment: '', empty_layer: false }));
  let layer = 0;
  const rows = steps.map((h) => ({
    ID: '<missing>',
    CreatedAt: h.created ?? '',
    CreatedBy: h.created_by ?? '',
    Comment: h.comment ?? '',
    Size: h.empty_layer ? 0 : (layers[layer++]?.size ?? 0),
  }));
  rows.reverse();
  if (rows.length) rows[0]!.ID = rec.config;
  return rows;
}
