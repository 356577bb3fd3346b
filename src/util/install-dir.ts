// Where the running code lives, to find this installation's other files from (native/hako-init,
// bin/). Normally the directory of the module's own file. In the Bun-compiled executable (dist/hako)
// import.meta.url is the path the module had when it was built, which leads to the build tree even
// after the executable was moved or copied: there the executable's own path is the truth.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function codeDir(moduleUrl: string): string {
  // globalThis: a bare `Bun` is a ReferenceError under Node
  const bun = (globalThis as { Bun?: { isStandaloneExecutable?: boolean } }).Bun;
  if (bun?.isStandaloneExecutable) return path.dirname(process.execPath);
  return path.dirname(fileURLToPath(moduleUrl));
}
