// Where the runtime keeps its state, and the checks on the rootless fallback there. Apart from
// state.ts so that the engine's read-only commands (ps, inspect, …) can name the runtime's root
// without loading the runtime: the second file of the runtime's public surface (.dependency-cruiser.cjs).
import fs from 'node:fs';
import { asHakoError, HakoError } from '../util/errors.js';

/** /run/hako for root; rootless users get $XDG_RUNTIME_DIR/hako, as runc does, and without it (unset,
 *  or not writable, as under `su -`, which keeps root's /run/user/0) a private directory of their
 *  own in /tmp (podman's convention: /tmp/podman-run-$UID), since /run/hako is root's. `onNote`
 *  hears, in one line, that the fallback is used. A function, not a constant: it depends on who
 *  asks, when they ask. */
export function defaultRoot(onNote?: (message: string) => void): string {
  if (process.geteuid?.() === 0) return '/run/hako';
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && writableDir(xdg)) return `${xdg}/hako`;
  const why = xdg ? `XDG_RUNTIME_DIR ${xdg} is not a directory uid ${process.geteuid?.()} can write` : 'XDG_RUNTIME_DIR is not set';
  // Said when the fallback is first made, not on every command after.
  if (!fs.existsSync(fallbackRoot())) onNote?.(`note: ${why}: keeping runtime state in ${fallbackRoot()}`);
  return fallbackRoot();
}

function writableDir(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The rootless state root when there is no usable $XDG_RUNTIME_DIR. In /tmp, where anyone can make
 *  a name first: StateDir uses it only as a real directory (not a symlink) of the user, mode 0700. */
export function fallbackRoot(): string {
  return `/tmp/hako-${process.geteuid?.() ?? 0}`;
}

/** Makes (or checks) the private fallback root before something is kept beneath it (the engine's
 *  runtime state, conmon's sockets): see privateRoot. */
export function ensureFallbackRoot(): void {
  privateRoot(fallbackRoot(), true);
}

/** Makes (or checks) the fallback root; another user's directory, a symlink or a directory others
 *  can enter is refused: state there would tell us which processes to signal. */
export function privateRoot(dir: string, create: boolean): void {
  if (create) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw asHakoError(`cannot create the state directory ${dir}`, e);
    }
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !create) return;
    throw asHakoError(`state directory ${dir}`, e);
  }
  const why = st.isSymbolicLink()
    ? 'is a symlink'
    : !st.isDirectory()
      ? 'is not a directory'
      : st.uid !== process.geteuid!()
        ? `is owned by uid ${st.uid}, not ${process.geteuid!()}`
        : (st.mode & 0o777) !== 0o700
          ? `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, not 0700`
          : undefined;
  if (why) throw new HakoError(`state directory ${dir} ${why}: refusing it (set XDG_RUNTIME_DIR, or use --root)`);
}
