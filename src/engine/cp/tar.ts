// `hako cp CONTAINER:PATH -`: the copied tree as a tar stream, as docker writes it (names under
// the source's base name, directories with a trailing slash).
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import tar from 'tar-stream';
import { destName, type Entry } from './entries.js';

const TYPES: Record<string, tar.Header['type']> = { d: 'directory', f: 'file', l: 'symlink', c: 'character-device', b: 'block-device', p: 'fifo' };

/** Writes `entries` as a tar to `out` (not ended: it may be stdout); returns the content bytes. */
export async function writeTar(out: Writable, top: string, entries: AsyncIterable<Entry>): Promise<number> {
  const pack = tar.pack();
  pack.on('data', (b: unknown) => { if (!out.write(b as Buffer)) pack.pause(); });
  out.on('drain', () => pack.resume());
  const ended = once(pack, 'end');
  let bytes = 0;
  for await (const e of entries) {
    const name = destName(top, e.rel);
    const type = TYPES[e.type];
    if (!name || !type) continue; // the top of SRC/.; sockets
    const header: Partial<tar.Header> & { name: string } = {
      name: type === 'directory' ? `${name}/` : name, mode: e.mode, uid: e.uid, gid: e.gid, type,
      mtime: new Date(Number(e.mtimeNs / 1_000_000n)), size: type === 'file' ? e.size : 0,
      ...(type === 'symlink' ? { linkname: e.link } : {}), devmajor: e.major, devminor: e.minor,
    };
    if (type !== 'file') {
      pack.entry(header);
      continue;
    }
    const { stream, done } = await e.open!();
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      let left = e.size;
      stream.on('data', (chunk: Buffer) => {
        const take = chunk.subarray(0, left);
        left -= take.length;
        if (take.length && !entry.write(take)) { stream.pause(); entry.once('drain', () => stream.resume()); }
      });
      stream.on('error', reject);
      stream.on('end', () => entry.end(undefined as never));
    });
    done();
    bytes += e.size;
  }
  pack.finalize();
  await ended;
  return bytes;
}
