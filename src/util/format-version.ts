// Versions of what hako keeps on disk between commands (the runtime's state.json, the engine's
// container records, the image index). Each document carries its format version; a reader brings an
// older one up to date through its migrations, and refuses one it cannot read (newer than itself, or
// older than its oldest migration) with one line naming the version, instead of misreading it.
// A document without a version was written before versions existed: that is version 1.
import { HakoError } from './errors.js';

/** A document in a format this hako cannot read; never swallowed as "unreadable, use a default". */
export class FormatVersionError extends HakoError {}

export interface DocumentFormat {
  /** What the document is, for messages: "container state", "image index". */
  what: string;
  /** The version this hako writes. */
  current: number;
  /** The field holding the version. */
  key?: string;
  /** migrations[n] turns a version-n document into a version-(n+1) one; the oldest version read is
   *  the lowest n from which every step up to `current` exists. */
  migrations?: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>>;
}

/** The document `doc` (parsed from `file`) in the current format, migrated when it is older. */
export function readVersioned<T>(doc: unknown, file: string, format: DocumentFormat): T {
  const key = format.key ?? 'formatVersion';
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new HakoError(`${file}: ${format.what} is not a JSON object`);
  const raw = (doc as Record<string, unknown>)[key] ?? 1;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) {
    throw new FormatVersionError(`${file}: ${format.what} has an invalid format version ${JSON.stringify(raw)}`);
  }
  if (raw > format.current) {
    throw new FormatVersionError(`${file}: ${format.what} format version ${raw} is newer than this hako reads (${format.current}): use a newer hako`);
  }
  let out = doc as Record<string, unknown>;
  for (let v = raw; v < format.current; v++) {
    const step = format.migrations?.[v];
    if (!step) {
      throw new FormatVersionError(
        `${file}: ${format.what} format version ${raw} is too old for this hako (it reads ${oldestReadable(format)} to ${format.current})`,
      );
    }
    out = step(out);
  }
  return { ...out, [key]: format.current } as T;
}

/** `doc` with the current format version, as it is to be written. */
export function stampVersion<T extends object>(doc: T, format: DocumentFormat): T {
  return { ...doc, [format.key ?? 'formatVersion']: format.current };
}

function oldestReadable(format: DocumentFormat): number {
  let v = format.current;
  while (format.migrations?.[v - 1]) v--;
  return v;
}
