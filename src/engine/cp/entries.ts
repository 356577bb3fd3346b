// What `hako cp` moves: entries of a tree, each with its metadata and (for files) a way to read
// its content, whatever side they come from (container, host, tar) and go to.
import type { Readable } from 'node:stream';

export interface Entry {
  /** Path below the copied top entry; '' is the top entry itself. */
  rel: string;
  /** d f l c b p s, as the native worker names types. */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  major: number;
  minor: number;
  size: number;
  /** Nanoseconds since the epoch. */
  atimeNs: bigint;
  mtimeNs: bigint;
  /** A symlink's target. */
  link: string;
  /** A regular file's content: exactly `size` bytes; `done` releases what open took. */
  open?: () => Promise<{ stream: Readable; done: () => void }>;
}

/** The name an entry gets at its destination: under `top`, or at the top level when top is ''. */
export function destName(top: string, rel: string): string {
  if (!top) return rel;
  return rel ? `${top}/${rel}` : top;
}
