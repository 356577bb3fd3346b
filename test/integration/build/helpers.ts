// Helpers of the build tests: contexts written from a table of files, tar archives for ADD, the
// entries of an image's layers, and what a build may have left behind.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { tarBuffer, type RawEntry } from '../../fixtures/tar-writer.js';
import { processTempDir } from '../../fixtures/tmpdir.js';
import { ContentStore } from '../../../src/storage/store/index.js';
import { inspect } from '../../../src/image/inspect.js';

/** A fresh context directory holding `files` (names may contain '/': parents are made), removed
 *  at process exit if the test did not remove it. */
export function contextDir(files: Record<string, string | Buffer>): string {
  const dir = processTempDir('hako-build-ctx-');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export interface ArchiveEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink';
  content?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
}

/** A tar archive (what ADD extracts). */
export function tarFile(entries: ArchiveEntry[]): Buffer {
  const flag = { file: '0', directory: '5', symlink: '2' } as const;
  return tarBuffer(
    entries.map(
      (e): RawEntry => ({
        name: e.name,
        type: flag[e.type ?? 'file'],
        mode: e.mode ?? 0o644,
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        linkname: e.linkname,
        data: e.content ?? '',
      }),
    ),
  );
}

/** The entry names of each layer of image `ref` in the store at `root`. */
export function layerNames(root: string, ref: string): string[][] {
  const store = new ContentStore(root);
  return inspect(store, ref).layers.map((l) => {
    let tar = store.readBlob(l.digest);
    if (tar[0] === 0x1f && tar[1] === 0x8b) tar = zlib.gunzipSync(tar);
    const names: string[] = [];
    for (let off = 0; off + 512 <= tar.length; ) {
      const h = tar.subarray(off, off + 512);
      if (h.every((b) => b === 0)) break;
      const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
      const type = String.fromCharCode(h[156]!);
      const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
      if (type !== 'x' && type !== 'g' && type !== 'L' && type !== 'K') names.push(prefix ? `${prefix}/${name}` : name);
      off += 512 + Math.ceil(size / 512) * 512;
    }
    return names;
  });
}

/** What a build must not leave: mounts under the root, step directories, runtime state, the
 *  cgroups of RUN steps. */
export function leftBehind(root: string): string[] {
  const out: string[] = [];
  for (const l of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (l.split(' ')[4]?.startsWith(root)) out.push(`mount: ${l}`);
  for (const d of ['build', 'run']) {
    const p = path.join(root, d);
    if (fs.existsSync(p)) for (const n of fs.readdirSync(p)) out.push(`${d}/${n}`);
  }
  for (const base of ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((c) => path.join('/sys/fs/cgroup', c))]) {
    const hako = path.join(base, 'hako');
    try {
      for (const n of fs.readdirSync(hako)) if (n.startsWith('build-')) out.push(`cgroup: ${path.join(hako, n)}`);
    } catch {
      /* no hako cgroups in this hierarchy */
    }
  }
  return out;
}
