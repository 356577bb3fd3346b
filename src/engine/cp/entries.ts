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

/** An ("e", PATH, TYPE, MODE, UID, GID, MAJOR, MINOR, SIZE, NLINK, INO, ATIME, MTIME, LINK) answer
 *  record of the native worker (walk, walkfrom, realpath) as an Entry, with rel = its PATH. */
export function entryFromWalk(rec: Buffer[]): Entry {
  const f = rec.map((b) => (b ?? Buffer.alloc(0)).toString('utf8'));
  return {
    rel: f[1],
    type: f[2],
    mode: Number(f[3]),
    uid: Number(f[4]),
    gid: Number(f[5]),
    major: Number(f[6]),
    minor: Number(f[7]),
    size: Number(f[8]),
    atimeNs: BigInt(f[11]),
    mtimeNs: BigInt(f[12]),
    link: f[13],
  };
}
