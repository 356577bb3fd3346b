// `hako cp CONTAINER:PATH -`: the copied tree as a tar stream, as docker writes it (names under
// the source's base name, directories with a trailing slash).
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HakoError, systemErrorReason } from '../../util/errors.js';
import tar from 'tar-stream';
import { destName, type Entry } from './entries.js';

const TYPES: Record<string, tar.Header['type']> = { d: 'directory', f: 'file', l: 'symlink', c: 'character-device', b: 'block-device', p: 'fifo' };

/** Writes `entries` as a tar to `out` (not ended: it may be stdout); returns the content bytes. A
 *  reader that goes away (`| head`: EPIPE) ends the copy with one line, not a stack trace. */
export async function writeTar(out: Writable, top: string, entries: AsyncIterable<Entry>): Promise<number> {
  const pack = tar.pack();
  const piping = pipeline(pack, out, { end: false });
  // Rejects when the output fails; never resolves (raced against each step below).
  const failed = piping.then(
    () => new Promise<never>(() => {}),
    (e: unknown) => {
      throw new HakoError(`writing the tar: ${systemErrorReason(e) ?? (e as Error).message}`);
    },
  );
  failed.catch(() => {});
  let bytes = 0;
  for await (const e of entries) {
    const name = destName(top, e.rel);
    const type = TYPES[e.type];
    if (!name || !type) continue; // the top of SRC/.; sockets
    const header: Partial<tar.Header> & { name: string } = {
      name: type === 'directory' ? `${name}/` : name,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      type,
      mtime: new Date(Number(e.mtimeNs / 1_000_000n)),
      size: type === 'file' ? e.size : 0,
      ...(type === 'symlink' ? { linkname: e.link } : {}),
      devmajor: e.major,
      devminor: e.minor,
    };
    if (type !== 'file') {
      pack.entry(header);
      continue;
    }
    const { stream, done } = await e.open!();
    await Promise.race([failed, copyEntry(pack, header, stream, e.size)]);
    done();
    bytes += e.size;
  }
  pack.finalize();
  await Promise.race([failed, piping]);
  return bytes;
}

/** One file's content into the pack: exactly `size` bytes of `stream`. */
function copyEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, stream: Readable, size: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    let left = size;
    stream.on('data', (chunk: Buffer) => {
      const take = chunk.subarray(0, left);
      left -= take.length;
      if (take.length && !entry.write(take)) {
        stream.pause();
        entry.once('drain', () => stream.resume());
      }
    });
    stream.on('error', reject);
    stream.on('end', () => entry.end(undefined as never));
  });
}
