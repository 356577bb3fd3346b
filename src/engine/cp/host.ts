// The host side of `hako cp`: the user's own files, trusted as docker's CLI trusts them. A source
// symlink is copied as a symlink (followed only with -L, and only the source path itself).
import fs from 'node:fs';
import path from 'node:path';
import { HakoError, systemErrorReason } from '../../util/errors.js';
import type { Entry } from './entries.js';
import type { Kind } from './paths.js';

const TYPE = (st: fs.Stats): string =>
  st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : 's';

/** What a host path is (`follow`: through a final symlink). */
export function hostKind(p: string, follow = true): Kind {
  try {
    return (follow ? fs.statSync(p) : fs.lstatSync(p)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw new HakoError(`${p}: ${systemErrorReason(e) ?? (e as Error).message}`);
  }
}

function entryOf(file: string, rel: string, st: fs.BigIntStats): Entry {
  const type = TYPE(st as unknown as fs.Stats);
  const e: Entry = {
    rel,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    major: Number(st.rdev >> 8n) & 0xfff,
    minor: Number((st.rdev & 0xffn) | ((st.rdev >> 12n) & 0xfff00n)),
    size: type === 'f' ? Number(st.size) : 0,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    link: type === 'l' ? fs.readlinkSync(file) : '',
  };
  if (type === 'f')
    e.open = async () => ({ stream: fs.createReadStream(file, e.size > 0 ? { start: 0, end: e.size - 1 } : { start: 0, end: 0 }), done: () => {} });
  return e;
}

/** The entries of the host path `top` and, for a directory, everything below it (parents first). */
export async function* hostEntries(top: string, follow: boolean): AsyncGenerator<Entry> {
  const st = follow ? fs.statSync(top, { bigint: true }) : fs.lstatSync(top, { bigint: true });
  yield entryOf(top, '', st);
  if (!st.isDirectory()) return;
  const queue = [''];
  while (queue.length) {
    const rel = queue.shift()!;
    for (const name of fs.readdirSync(path.join(top, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const file = path.join(top, r);
      const s = fs.lstatSync(file, { bigint: true });
      yield entryOf(file, r, s);
      if (s.isDirectory()) queue.push(r);
    }
  }
}
