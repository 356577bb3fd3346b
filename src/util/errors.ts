// Every failure a user can cause ends as one HakoError: a single line that names what was wrong
// (a config field, a path, a resource file) and why. The CLI prints `hako: <message>` and exits 1.

export class HakoError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'HakoError';
  }
}

/** A config.json problem: `field` is a JSON path such as `linux.namespaces[2].type`. */
export class ConfigError extends HakoError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`config.json: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Formats a Node system error (ENOENT etc.) as "<what>: <strerror-like text>". */
export function describeSystemError(what: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return `${what}: ${e.code}${e.message ? ` (${e.message.replace(/^[A-Z]+: /, '')})` : ''}`;
  return `${what}: ${String(e?.message || e)}`;
}

/** For a Node system error (ENOSPC etc.), what it means: "no space left on device (ENOSPC)";
 *  undefined for anything else. Node's message is "<CODE>: <strerror>, <syscall> '<path>'". */
export function systemErrorReason(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code)) return undefined;
  const m = /^[A-Z0-9_]+: (.*?)(?:, [a-z_0-9]+(?: '.*)?)?$/s.exec(e.message);
  return `${m ? m[1] : e.message} (${e.code})`;
}

/** A system error met while doing `what` (which names the path) as a one-line HakoError; any other
 *  error unchanged. For the places where a failure is expected: a full disk, a missing directory. */
export function asHakoError(what: string, err: unknown): unknown {
  const reason = systemErrorReason(err);
  return reason === undefined ? err : new HakoError(`${what}: ${reason}`);
}

/** Cuts a string a user may have made huge (a 100 kB id or path) to what a terminal line shows. */
export function clip(s: string, max = 300): string {
  return s.length > max ? `${s.slice(0, max)}…(${s.length} characters)` : s;
}

/** A user's value inside a message: quoted, clipped, its newlines and control characters escaped
 *  so the message stays one line. */
export function quote(s: string, max = 80): string {
  return JSON.stringify(clip(s, max));
}
