// run/create's --cidfile (docker's CLI writes it, not its daemon): refused when the file exists,
// as docker does (another container may own it), written once the container is created; and the
// warning for what conmon cannot do of --log-opt.
import fs from 'node:fs';
import type { RunOptions } from '../../engine/types.js';
import { EngineError } from '../../engine/exit-codes.js';
import { HakoError } from '../../util/errors.js';
import { printWarning } from './common.js';

/** Checks what run/create's CLI owns before anything is created; returns the writer of the ID. */
export function prepareCreate(opts: RunOptions): (id: string) => void {
  if (opts.logMaxFile && opts.logMaxFile > 1)
    printWarning(`warning: --log-opt max-file=${opts.logMaxFile}: conmon keeps one log file, truncated at max-size; older output is not kept`);
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
