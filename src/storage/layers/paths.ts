// Turning a tar member name into a path inside the destination, without ever leaving it.
//
// Policy (documented in src/storage/layers/README.md):
// - absolute names ("/etc/x") are REJECTED, not stripped: OCI layer tars never contain them, so one
//   is a sign of a hostile or broken archive, and stripping would silently write somewhere else;
// - any ".." component is rejected, even one that would stay inside ("a/../b"), like GNU tar does;
// - "." and empty components are dropped, so "./a//b/" is "a/b" and "./" is the layer root;
// - a clean name longer than PATH_MAX (4095 bytes) is rejected before anything is made: nothing could
//   reach it by path, and a 3000-level tree only serves to break whoever removes it later.
// Parent components are checked on disk by the unpacker (see unpack.ts: ensureParents): none may be
// a symlink, so nothing is ever written through a link.

import { HakoError, quote } from '../../util/errors.js';

/**
 * The clean components of a member name; [] is the layer root. Throws HakoError naming the entry;
 * `what` says which name it is (e.g. 'entry "x": hard link target').
 */
export function splitMemberName(name: string, what = 'entry'): string[] {
  if (name.includes('\0')) throw new HakoError(`layer ${what} ${quoteName(name)}: NUL byte in name`);
  if (name.startsWith('/')) throw new HakoError(`layer ${what} ${quoteName(name)}: absolute path not allowed`);
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new HakoError(`layer ${what} ${quoteName(name)}: ".." component not allowed`);
    parts.push(c);
  }
  const bytes = Buffer.byteLength(parts.join('/'));
  if (bytes > PATH_MAX) throw new HakoError(`layer ${what} ${quoteName(name)}: name of ${bytes} bytes, longer than ${PATH_MAX}`);
  return parts;
}

const PATH_MAX = 4095;

/** A member name for an error message: util/errors' quote, with room for a long path (a PAX name
 *  can be megabytes). */
export function quoteName(name: string): string {
  return quote(name, 200);
}
