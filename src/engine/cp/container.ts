// The container side of `hako cp`: its root is hostile, so no path into it reaches Node's fs.
// Paths are resolved by the native worker inside the root (RESOLVE_IN_ROOT: an absolute symlink
// or ".." stays in the container), walked and opened beneath it without following symlinks, and
// file content is read through the worker's own descriptor (/proc/PID/fd/N), never by path.
import { rec } from '../../native/ops.js';
import { Readable } from 'node:stream';
import { HakoError } from '../../util/errors.js';
import { LayerWorker, type Answer } from '../../storage/layers/worker.js';
import { type Entry, entryFromWalk as toEntry } from './entries.js';
import type { Kind, SplitPath } from './paths.js';
import { readWorkerFd } from './proc-fd.js';
import type { PrivateMount } from '../../native/modes.js';

const text = (b: Buffer | undefined) => (b ?? Buffer.alloc(0)).toString('utf8');

/** What a container path is, resolved inside the root; its canonical path relative to the root. */
export interface Resolved {
  kind: Kind;
  rel: string;
  entry?: Entry;
}

export async function resolveIn(worker: LayerWorker, which: 'dest' | 'source', p: SplitPath, follow: boolean): Promise<Resolved> {
  let answer: Answer;
  try {
    answer = await worker.query(rec('realpath', which, p.dir, p.base, follow ? '1' : '0'), p.full);
  } catch (e) {
    if (e instanceof HakoError && /No such file or directory|Not a directory/.test(e.message)) return { kind: 'missing', rel: '' };
    throw e;
  }
  const first = answer[0]!;
  if (text(first[0]) === 'missing') return { kind: 'missing', rel: text(first[1]) };
  const entry = toEntry(first);
  return { kind: entry.type === 'd' ? 'dir' : 'file', rel: entry.rel, entry };
}

/** A container's root for the worker: a directory, and (a rootless container that is not running)
 *  the overlay the worker mounts there for itself alone (src/native/modes.ts, PrivateMount). */
export interface ContainerRoot {
  dir: string;
  mount?: PrivateMount;
  /** Rootless, a running container: `dir` is OPENED_FIRST, this (its /proc/PID/root) opened first. */
  openFirst?: string;
  /** Rootless: file content comes through the worker's answers (`read`), not /proc/PID/fd/N: that
   *  link opens the file again with our own credentials, and we are not the ids that own it. */
  readByWorker?: boolean;
}

/** A worker reading the container's root; it writes nothing. */
export function containerReader(root: ContainerRoot): LayerWorker {
  return new LayerWorker(root.dir, root.dir, 'cp', { mount: root.mount, openFirst: root.openFirst });
}

/** A worker writing into the directory `dir` of the container, resolved inside its root. */
export function containerWriter(root: ContainerRoot, dir: string): LayerWorker {
  return new LayerWorker(root.dir, undefined, 'cp', { inRoot: dir, mount: root.mount, openFirst: root.openFirst });
}

/** The entries of `top` (resolved, relative to the root) and everything below it. */
export async function* containerEntries(worker: LayerWorker, top: Entry, byWorker = false): AsyncGenerator<Entry> {
  const open = byWorker ? readFile : openFile;
  const withOpen = (e: Entry, rel: string): Entry => (e.type !== 'f' ? { ...e, rel } : { ...e, rel, open: () => open(worker, e.rel, e.size) });
  yield withOpen(top, '');
  if (top.type !== 'd') return;
  const all = await worker.query(top.rel ? rec('walkfrom', top.rel) : rec('walk'), top.rel || '/');
  for (const rec of all) {
    if (text(rec[0]) !== 'e') continue; // ("x", …) xattr records
    const e = toEntry(rec);
    yield withOpen(e, top.rel ? e.rel.slice(top.rel.length + 1) : e.rel);
  }
}

/** A regular file opened by the worker (checked to be one), read through its descriptor. */
export async function openFile(worker: LayerWorker, rel: string, size: number): Promise<{ stream: Readable; done: () => void }> {
  if (size === 0) return { stream: Readable.from([]), done: () => {} };
  const answer = await worker.query(rec('open', rel), rel);
  const fd = text(answer[0]![1]);
  // The magic link is the worker's open file itself: no path inside the container is resolved.
  const stream = readWorkerFd(worker.pid, fd, size);
  return { stream, done: () => worker.op(rec('closefd', fd), rel) };
}

const CHUNK = 1 << 20;

/** A regular file read by the worker itself (`read` records, checked to be one each time), for a
 *  reader that may not open the worker's descriptor (rootless). The size is the listing's: a file
 *  that shrank meanwhile is an error, one that grew is cut there, as the descriptor's read is. */
export async function readFile(worker: LayerWorker, rel: string, size: number): Promise<{ stream: Readable; done: () => void }> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let off = 0; off < size; ) {
      const [answer] = await worker.query(rec('read', rel, String(off), String(Math.min(CHUNK, size - off))), rel);
      const data = answer?.[1] ?? Buffer.alloc(0);
      if (data.length === 0) throw new HakoError(`${rel}: the file shrank while it was copied`);
      off += data.length;
      yield data;
    }
  }
  return { stream: Readable.from(chunks()), done: () => {} };
}
