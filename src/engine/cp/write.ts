// Writing copied entries through a native worker (into a container, resolved inside its root, or
// into a host directory): every record is relative to the worker's directory fd and never follows
// a symlink, so a symlink the copy itself made cannot redirect a later entry.
import { rec } from '../../native/ops.js';
import { HakoError } from '../../util/errors.js';
import type { LayerWorker } from '../../storage/layers/worker.js';
import { destName, type Entry } from './entries.js';

const NODE_KIND: Record<string, string> = { c: 'char', b: 'block', p: 'fifo' };

/** Owner of a written entry: the source's with -a, else a fixed one (-1: the caller's). */
export type Owner = (e: Entry) => { uid: number; gid: number };

/** Writes `entries` under `top` in the worker's directory; returns the bytes of file content. */
export async function writeEntries(worker: LayerWorker, top: string, entries: AsyncIterable<Entry>, owner: Owner): Promise<number> {
  const dirs: { name: string; e: Entry }[] = [];
  let bytes = 0;
  try {
    for await (const e of entries) {
      const name = destName(top, e.rel);
      if (!name) continue; // the content of SRC/. lands in the existing directory itself
      const { uid, gid } = owner(e);
      const t = [String(e.atimeNs), String(e.mtimeNs)];
      if (e.type === 'd') {
        worker.op(rec('mkdir', name, '448', 'fail'), name); // 0700 until its mode is set at the end
        dirs.push({ name, e });
      } else if (e.type === 'f') {
        bytes += await writeFile(worker, name, e, uid, gid, t);
      } else if (e.type === 'l') {
        worker.op(rec('symlink', name, e.link, String(uid), String(gid), t[0]!, t[1]!), name);
      } else if (NODE_KIND[e.type]) {
        worker.op(rec('node', name, NODE_KIND[e.type]!, String(e.mode), String(e.major), String(e.minor), String(uid), String(gid), t[0]!, t[1]!), name);
      } // sockets are not copied (nor put in a tar by docker)
      await worker.flush();
    }
    // Directories last, deepest first: their mode may forbid writing, their mtime moved with each child.
    for (const { name, e } of dirs.reverse()) {
      const { uid, gid } = owner(e);
      worker.op(rec('dirmeta', name, String(uid), String(gid), String(e.mode)), name);
      worker.op(rec('dirtime', name, String(e.atimeNs), String(e.mtimeNs)), name);
    }
    await worker.close();
  } catch (e) {
    await worker.abort();
    throw e;
  }
  return bytes;
}

async function writeFile(worker: LayerWorker, name: string, e: Entry, uid: number, gid: number, t: string[]): Promise<number> {
  worker.op(rec('file', name, String(e.size), String(uid), String(gid), String(e.mode), t[0]!, t[1]!), name);
  const { stream, done } = await e.open!();
  let sent = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    const take = b.subarray(0, Math.max(0, e.size - sent));
    sent += take.length;
    worker.raw(take);
    await worker.flush();
  }
  done();
  if (sent !== e.size) throw new HakoError(`cp: ${name}: file shrank while it was copied (${sent} of ${e.size} bytes)`);
  return sent;
}
