// What the engine's commands share: the store they work on (--root), docker's per-argument error
// reporting, and the argument checks worded as docker's.
import { HakoError } from '../../util/errors.js';
import { EngineError } from '../../engine/exit-codes.js';
import { logError } from '../../util/log.js';
import { Engine } from '../../engine/engine.js';
import { streamSink } from '../../engine/logs.js';
import { oneLine } from '../errors.js';
import { writeErr } from '../../util/stdio.js';

/** What every engine command gets: --root, from before the command or among its flags. */
export interface EngineContext {
  root?: string;
}

/** An engine on the context's store, its foreground output on ours: the container's output (run,
 *  start -a) on stdout and stderr, a pull's progress on stderr; its warnings printed as hako always
 *  printed them. */
export function engineOf(ctx: EngineContext): Engine {
  return new Engine({ root: ctx.root, output: { container: streamSink(false), progress: process.stderr }, onWarning: printWarning });
}

/** The library's warnings (Engine's and Runtime's onWarning): `hako: ` and the text. */
export function printWarning(message: string): void {
  writeErr(`hako: ${message}\n`);
}

export function need(positionals: string[], command: string): void {
  if (!positionals.length) throw new HakoError(`"hako ${command}" requires at least 1 argument`);
}

/** Runs `fn` for each argument, reporting failures per argument like docker; exit 1 if any failed. */
export async function each(refs: string[], fn: (ref: string) => Promise<void>): Promise<number> {
  let failed = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
    } catch (e) {
      if (!(e instanceof HakoError)) throw e;
      if (refs.length === 1) throw e;
      logError(oneLine(e.message)); // one line per failed argument, as docker
      failed++;
    }
  }
  return failed ? 1 : 0;
}

/** Rows as docker's --format: `json` (a line each), a template, or the default table. */
export function formatRows<Row>(format: string | undefined, rows: Row[], render: (tpl: string, row: Row) => string, table: () => string): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format) return rows.map((r) => `${render(format, r)}\n`).join('');
  return table();
}

/** stop's and restart's -t/--time: whole seconds (negative: wait forever), as docker parses it. */
export function stopTimeout(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  if (!/^-?\d+$/.test(time)) throw new EngineError(`invalid argument "${time}" for "--time" flag: expected seconds`);
  return Number(time);
}
