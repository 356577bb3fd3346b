// docker's rules for `cp SRC DEST` (its cp reference): where the copy lands, decided from what
// SRC and DEST are. Pure: the caller has looked at both sides (the container's through the
// native worker, resolved inside its root).
import { posix } from 'node:path';
import { HakoError } from '../../util/errors.js';

export interface SplitPath {
  /** The path as given, made absolute. */
  full: string;
  /** Its directory and last component ('' when the path is the directory itself: `/`, `x/.`). */
  dir: string;
  base: string;
  /** `x/`: must be a directory. */
  trailingSlash: boolean;
  /** `x/.`: the directory's content, not the directory. */
  contentsOnly: boolean;
}

/** Splits a path (`cwd` makes a relative one absolute: `/` inside a container, as docker). */
export function splitPath(p: string, cwd = '/'): SplitPath {
  let full = posix.isAbsolute(p) ? p : posix.join(cwd, p);
  const contentsOnly = full === '/.' || full.endsWith('/.');
  if (contentsOnly) full = full.slice(0, -2) || '/';
  const trailingSlash = full.length > 1 && full.endsWith('/');
  full = posix.normalize(full).replace(/(.)\/+$/, '$1');
  const base = posix.basename(full);
  if (full === '/' || base === '..') return { full, dir: full, base: '', trailingSlash, contentsOnly };
  return { full, dir: posix.dirname(full), base, trailingSlash, contentsOnly };
}

/** What is at a path, as far as the rules care. */
export type Kind = 'dir' | 'file' | 'missing';

export interface Target {
  /** An existing directory (DEST or its parent) the copy is written into. */
  dir: string;
  /** The name of the copied top entry in `dir`; '' for SRC's content (`SRC/.` into a directory). */
  top: string;
}

/** Checks SRC's own rules: `x/` and `x/.` need a directory. */
export function checkSource(src: SplitPath, kind: Kind, shown: string): void {
  if (kind === 'missing') throw new HakoError(`could not find the file ${shown}`);
  if (kind !== 'dir' && (src.trailingSlash || src.contentsOnly)) throw new HakoError(`${shown}: not a directory`);
}

/** Where SRC (of `srcKind`) lands given DEST (of `destKind`), as docker decides. */
export function target(src: SplitPath, srcKind: Kind, dest: SplitPath, destKind: Kind, shown: string): Target {
  const srcName = src.base || '';
  switch (destKind) {
    case 'dir':
      return { dir: dest.full, top: src.contentsOnly || !srcName ? '' : srcName };
    case 'missing':
      if (dest.trailingSlash && srcKind !== 'dir') throw new HakoError(`${shown}: no such directory`);
      if (!dest.base) throw new HakoError(`${shown}: no such directory`);
      return { dir: dest.dir, top: dest.base };
    case 'file':
      if (srcKind === 'dir') throw new HakoError(`cannot copy a directory to a file: ${shown}`);
      if (dest.trailingSlash || dest.contentsOnly) throw new HakoError(`${shown}: not a directory`);
      return { dir: dest.dir, top: dest.base };
  }
}
