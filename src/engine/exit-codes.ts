// docker's exit statuses, which scripts test for (docker run reference, "Exit status"; docker's
// CLI: cli/command/container/run.go toStatusError, cli/cobra.go FlagErrorFunc):
// - 125: the engine failed, not the container: a bad flag or value (any command), or anything
//   `run` could not do (unknown image, name in use, the runtime failing to create);
// - 126: the container's command cannot be invoked (permission denied, a directory);
// - 127: the container's command is not found;
// - otherwise `run` and `exec` exit with the container's (the exec'd process's) own status.
// Other failures of other commands (`rm` of an unknown container…) stay 1, as in docker.
// The errors carry their status (HakoError.exitCode), which the CLI makes the process's.
import { HakoError } from '../util/errors.js';
import { resolveInRoot } from './in-root.js';
import { statSync } from 'node:fs';

export const ENGINE_FAILED = 125;
export const CANNOT_INVOKE = 126;
export const COMMAND_NOT_FOUND = 127;

/** A failure with docker's exit status for it. */
export class EngineError extends HakoError {
  constructor(message: string, exitCode: number = ENGINE_FAILED) {
    super(message, exitCode); // named HakoError still: the CLI prints it as any other
  }
}

/** The runtime's exec failure, worded as runc's (native/process.c): `exec: "x": executable file not
 *  found in $PATH`, `exec: "/x": stat /x: no such file or directory`, `exec: "/etc": permission
 *  denied` or `… is a directory`. */
const EXEC_FAILURE = /(?:^|: )exec: "((?:[^"\\]|\\.)*)": (.*)$/;

/** 127 or 126 when `message` is the runtime's failure to exec the container's command, as docker
 *  decides from the same words; undefined for anything else. Only the exec failure is matched (docker
 *  matches the words anywhere, so a missing bind-mount source would give 127 there). */
export function commandStatus(message: string): number | undefined {
  const m = EXEC_FAILURE.exec(message);
  if (!m) return undefined;
  if (/executable file not found|no such file or directory/.test(m[2])) return COMMAND_NOT_FOUND;
  if (/permission denied|is a directory/.test(m[2])) return CANNOT_INVOKE;
  return undefined;
}

/** The runtime says "permission denied" for a directory (execve's EACCES); runc and docker say why:
 *  `is a directory`. `rootfs` is the container's, where the command was looked for. */
export function explainExecFailure(message: string, rootfs: string | undefined): string {
  const m = EXEC_FAILURE.exec(message);
  if (!m || !rootfs || !/permission denied$/.test(m[2]) || !m[1].startsWith('/')) return message;
  try {
    const host = resolveInRoot(rootfs, JSON.parse(`"${m[1]}"`) as string);
    if (host && statSync(host).isDirectory()) return message.replace(/permission denied$/, 'is a directory');
  } catch {
    /* not there now: keep the runtime's words */
  }
  return message;
}

/** A failure of `run` as docker's exit status: the command's 126/127, else 125. A HakoError with a
 *  status of its own other than 1 (`--help`: 0) keeps it; errors that are not HakoErrors (bugs,
 *  unforeseen system errors) are left to the CLI's handler. */
export function runFailure(err: unknown): unknown {
  if (!(err instanceof HakoError) || err instanceof EngineError || err.exitCode !== 1) return err;
  return new EngineError(err.message, commandStatus(err.message) ?? ENGINE_FAILED);
}

/** A failure of `exec` as docker's exit status: 126/127 when the command cannot be run, else as it was. */
export function execFailure(err: unknown): unknown {
  if (!(err instanceof HakoError) || err instanceof EngineError || err.exitCode !== 1) return err;
  const status = commandStatus(err.message);
  return status === undefined ? err : new EngineError(err.message, status);
}

/** A bad flag or value: 125 for every command (docker's FlagErrorFunc and run's parse errors). */
export function usageFailure(err: unknown): unknown {
  if (!(err instanceof HakoError) || err instanceof EngineError || err.exitCode !== 1) return err;
  return new EngineError(err.message, ENGINE_FAILED);
}
