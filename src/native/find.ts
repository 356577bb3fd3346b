// Where this installation's native/hako-init is. src/native/ is the only place that starts it:
// launch.ts (the plan mode), modes.ts (the tool modes), unpack-worker.ts (the layer worker).
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { codeDir } from '../util/install-dir.js';

let helperPath: string | undefined;

/** native/hako-init of this installation (works from dist/ and from build/), or $HAKO_INIT. */
export function findHelper(): string {
  if (helperPath) return helperPath;
  if (process.env.HAKO_INIT) return (helperPath = process.env.HAKO_INIT);
  let dir = codeDir(import.meta.url);
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'native', 'hako-init');
    if (fs.existsSync(candidate)) return (helperPath = candidate);
    dir = path.dirname(dir);
  }
  throw new HakoError('native/hako-init not found: run `npm run build`');
}
