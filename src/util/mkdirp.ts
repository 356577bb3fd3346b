// `mkdir -p` that ends. Node's own (fs.mkdirSync with recursive: true, sync and async alike) loops
// forever when an ancestor cannot be made and mkdir says ENOENT for it though its parent exists,
// as under /proc: `hako --root /proc/x images` hung at 100% CPU. Used where a directory the user
// named is first made (a --root, save -o); below one that exists, Node's is fine.
import fs from 'node:fs';
import path from 'node:path';

export function mkdirp(dir: string, mode?: number): void {
  try {
    fs.mkdirSync(dir, { mode });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && fs.statSync(dir).isDirectory()) return;
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw e;
  }
  mkdirp(path.dirname(dir), mode);
  try {
    fs.mkdirSync(dir, { mode }); // a second ENOENT, with the parent there, is final
  } catch (e) {
    if (!((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(dir).isDirectory())) throw e;
  }
}
