// The CLI's last line of defence: whatever a command throws ends as one line on stderr, never as a
// stack trace. Expected failures are HakoErrors, thrown where they happen with the field or path
// that was wrong; this module only catches what slipped through:
// - a Node system error (ENOENT, EACCES, ENOSPC, …: an Error with `code` and `syscall`) becomes
//   `hako: <syscall> <path>: <what the errno means>`, the way runc prints a failed syscall;
// - anything else is a bug in hako: one line that says so, and how to see the stack.
// The stack of the last two is printed only with HAKO_DEBUG=1 (any command) or the runtime's
// global --debug.
import { clip, HakoError, systemErrorReason } from '../util/errors.js';
import { logError, debugEnabled } from '../util/log.js';
import { writeErr } from '../util/stdio.js';

/** Exit status for a failure hako did not foresee (a bug); 1 stays that of every reported error. */
const BUG_EXIT = 2;

function debug(): boolean {
  return debugEnabled() || /^(1|true|yes)$/i.test(process.env.HAKO_DEBUG ?? '');
}

/** Prints `err` as one line (plus the stack when debugging) and returns the exit status. */
export function reportError(err: unknown): number {
  if (err instanceof HakoError) {
    // What the user got wrong: its stack says nothing, even when debugging. A message may quote the
    // user's value raw (a newline in a flag's value): escaped here, it still makes one line.
    logError(oneLine(err.message));
    return err.exitCode;
  }
  const sys = systemErrorLine(err);
  if (sys) {
    logError(sys);
    if (debug()) writeErr(`${(err as Error).stack}\n`);
    return 1;
  }
  const e = err as Error | undefined;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(err);
  logError(`bug: ${oneLine(what.replace(/\s*\n\s*/g, ' '))} (this is a bug in hako; ${debug() ? 'stack below' : 'HAKO_DEBUG=1 prints the stack'})`);
  if (debug()) writeErr(`${e instanceof Error ? e.stack : String(err)}\n`);
  return BUG_EXIT;
}

/** `<syscall> <path>[ -> <dest>]: <strerror>` for a Node system error, else undefined. */
export function systemErrorLine(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const reason = systemErrorReason(err);
  if (reason === undefined || (typeof e.syscall !== 'string' && typeof e.path !== 'string')) return undefined;
  const where = [e.syscall, e.path !== undefined ? clip(String(e.path)) : undefined].filter(Boolean).join(' ');
  const dest = e.dest !== undefined ? ` -> ${clip(String(e.dest))}` : '';
  return oneLine(`${where}${dest}: ${reason}`);
}

/** Control characters escaped as in JSON (a newline as \\n), and at most 2000 characters. */
export function oneLine(s: string): string {
  return clip(
    s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1)),
    2000,
  );
}

/** The same one line for what fails outside the command's promise chain (an event handler, a
 *  timer, a rejected promise nobody awaited), instead of Node's default stack dump. */
export function reportUncaught(): void {
  process.on('uncaughtException', (err) => {
    process.exitCode = reportError(err);
    // stderr is a file, TTY or pipe: written synchronously on Linux, so nothing is cut short.
    process.exit();
  });
}
