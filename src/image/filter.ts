// `images`' filters as docker's: a REPOSITORY[:TAG] argument and --filter reference=PATTERN,
// label=KEY[=VALUE], dangling=BOOL, before=IMAGE, since=IMAGE (by the images' creation times).
import { HakoError } from '../util/errors.js';
import type { ContentStore, ImageRecord } from '../storage/store/index.js';
import { parseReference } from '../oci/image/reference.js';
import { labelMatches, referenceMatches } from './docker-json.js';

/** docker's image filters: a record is listed when it passes every one. */
export function imageFilter(store: ContentStore, list: string[], repository: string | undefined): (rec: ImageRecord) => boolean {
  const checks: ((rec: ImageRecord) => boolean)[] = [];
  const created = (rec: ImageRecord) => {
    try {
      return Date.parse(store.readJSON<{ created?: string }>(rec.config).created ?? '') || 0;
    } catch {
      return 0;
    }
  };
  const familiar = (rec: ImageRecord) => {
    try {
      return parseReference(rec.reference).familiar();
    } catch {
      return rec.reference;
    }
  };
  const refs: string[] = repository ? [repository] : [];
  for (const f of list) {
    const [key, value = ''] = f.split(/=(.*)/s);
    if (key === 'reference') refs.push(value);
    else if (key === 'label') checks.push((rec) => labelsOf(store, rec, value));
    else if (key === 'dangling') {
      if (value !== 'true' && value !== 'false') throw new HakoError(`invalid filter 'dangling=${value}'`);
      checks.push((rec) => rec.reference.includes('@') === (value === 'true'));
    } else if (key === 'before' || key === 'since') {
      const other = store.resolve(value);
      if (!other) throw new HakoError(`No such image: ${value}`);
      const t = created(other);
      checks.push((rec) => (key === 'before' ? created(rec) < t : created(rec) > t));
    } else throw new HakoError(`invalid filter '${key}'`);
  }
  if (refs.length) checks.push((rec) => refs.some((p) => referenceMatches(p, familiar(rec)) || referenceMatches(p, rec.reference)));
  return (rec) => checks.every((c) => c(rec));
}

function labelsOf(store: ContentStore, rec: ImageRecord, filter: string): boolean {
  try {
    return labelMatches(filter, store.readJSON<{ config?: { Labels?: Record<string, string> } }>(rec.config).config?.Labels ?? {});
  } catch {
    return false;
  }
}
