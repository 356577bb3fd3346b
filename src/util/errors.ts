// Every failure a user can cause ends as one HakoError: a single line that names what was wrong
// (a config field, a path, a resource file) and why. The CLI prints `hako: <message>` and exits 1.

export class HakoError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'HakoError';
  }
}

/** A config.json problem: `field` is a JSON path such as `linux.namespaces[2].type`. */
export class ConfigError extends HakoError {
  constructor(readonly field: string, problem: string) {
    super(`config.json: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Formats a Node system error (ENOENT etc.) as "<what>: <strerror-like text>". */
export function describeSystemError(what: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return `${what}: ${e.code}${e.message ? ` (${e.message.replace(/^[A-Z]+: /, '')})` : ''}`;
  return `${what}: ${String((e && e.message) || e)}`;
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
