// run/create's --cidfile (docker's CLI writes it, not its daemon): refused when the file exists,
// as docker does (another container may own it), written once the container is created.
import fs from 'node:fs';
import type { RunOptions } from '../../engine/types.js';
import { EngineError } from '../../engine/exit-codes.js';
import { HakoError } from '../../util/errors.js';

/** Checks what run/create's CLI owns before anything is created; returns the writer of the ID. */
export function prepareCreate(opts: RunOptions): (id: string) => void {
  const file = opts.cidfile;
  if (!file) return () => {};
  if (fs.existsSync(file)) throw new EngineError(`container ID file found, make sure the other container isn't running or delete ${file}`);
  return (id) => {
    try {
      fs.writeFileSync(file, id, { flag: 'wx', mode: 0o644 });
    } catch (e) {
      throw new HakoError(`--cidfile ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
}
