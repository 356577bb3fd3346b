// An external OCI runtime's errors (runc's and crun's) worded as hako reports them: apart from
// runtime-external.ts so that the monitor (conmon's report) reads them without loading the runtime.

/** runc logs `time="…" level=error msg="…"`, crun `crun: …`, and crun's failed exec of the
 *  container's command is a bare line (CRUN_EXEC_FAILURE). */
export function isRuntimeError(line: string): boolean {
  return /level=(error|fatal) msg=/.test(line) || /^crun: /.test(line) || CRUN_EXEC_FAILURE.test(line);
}

/** crun's words when the container's command cannot be executed: not found (with the name), or
 *  execve's EACCES/EPERM (without it: a directory, a file without x). */
const CRUN_EXEC_FAILURE =
  /^(?:executable file `(.*)` not found in \$PATH: No such file or directory|open executable: (?:Operation not permitted|Permission denied))$/;

/**
 * A runtime's failure to execute the container's command, worded as runc's and hako's (exit-codes.ts
 * matches those words for docker's 126 and 127, as podman matches crun's): crun's
 * "executable file `x` not found in $PATH" and "open executable: Operation not permitted" become
 * `exec: "x": executable file not found in $PATH` (`stat /x: no such file or directory` for a path)
 * and `exec: "x": permission denied` (`command`: the process's args[0]). Anything else unchanged.
 */
export function execErrorAsRunc(message: string, command: string): string {
  const m = CRUN_EXEC_FAILURE.exec(message.replace(/^crun: /, ''));
  if (!m) return message;
  if (m[1] === undefined) return `exec: "${command}": permission denied`;
  return m[1].startsWith('/') ? `exec: "${m[1]}": stat ${m[1]}: no such file or directory` : `exec: "${m[1]}": executable file not found in $PATH`;
}

/** The last error of the runtime, without its logging frame: runc's `msg="…"` (unescaped), crun's
 *  line without `crun: `. */
export function runtimeErrorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.filter(isRuntimeError).pop() ?? lines.pop() ?? '';
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  if (m) return m[1].replace(/\\(.)/g, '$1');
  return last.replace(/^crun: /, '');
}
