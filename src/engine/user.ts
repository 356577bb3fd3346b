// `-u` / the image's User -> uid, gid and supplementary groups, like docker: "", "uid", "uid:gid",
// "name", "name:group" (any mix). Names are looked up in the image's /etc/passwd and /etc/group,
// read with symlinks resolved INSIDE the rootfs and only as regular files: a hostile image's
// /etc/passwd must not lead to a host file, nor hang the engine as a FIFO or feed it /dev/zero.
// Without a group the user's passwd gid is used (0 if the uid has no entry). The supplementary
// groups are that gid first, then the /etc/group entries listing the user by name, as docker sets
// them (moby's getUser), so `id` shows groups=0(root),10(wheel) for root in busybox.
import { lstatSync, readFileSync } from 'node:fs';
import { resolveInRoot } from './in-root.js';
import type { User } from '../oci/types.js';
import { HakoError } from '../util/errors.js';

/** Reads a regular file of the rootfs, resolving symlinks as if rootfs were "/"; null when it is
 *  missing or not a regular file. */
export function readFileInRoot(rootfs: string | string[], path: string): string | null {
  // Several roots: an image's unpacked layers, top first (a rootless container's overlay is not
  // mounted on the host). The first layer that has the path decides, as overlay shows it: a file
  // is read, anything else there (a whiteout, a directory) hides the layers below.
  for (const root of typeof rootfs === 'string' ? [rootfs] : rootfs) {
    const file = resolveInRoot(root, path);
    try {
      if (file !== null) return lstatSync(file).isFile() ? readFileSync(file, 'utf8') : null;
    } catch {
      return null;
    }
  }
  return null;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const lines = (text: string | null) =>
  (text ?? '')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));

function parsePasswd(text: string | null): PasswdEntry[] {
  return lines(text)
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
}

function parseGroup(text: string | null): GroupEntry[] {
  return lines(text)
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const MAX_ID = 0xfffffffe;
function numericId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > MAX_ID) throw new HakoError(`user "${s}": id out of range`);
  return n;
}

export function resolveUser(user: string, rootfs: string | string[]): User {
  const [u, g, ...rest] = (user || '0').split(':');
  if (rest.length || u === '' || g === '') throw new HakoError(`user ${JSON.stringify(user)}: expected user, uid, user:group or uid:gid`);
  const passwd = parsePasswd(readFileInRoot(rootfs, '/etc/passwd'));
  const groups = parseGroup(readFileInRoot(rootfs, '/etc/group'));
  let uid = numericId(u);
  const entry = uid === undefined ? passwd.find((p) => p.name === u) : passwd.find((p) => p.uid === uid);
  if (uid === undefined) {
    if (!entry) throw new HakoError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = entry.uid;
  }
  let gid = entry ? entry.gid : 0;
  if (g !== undefined) {
    const n = numericId(g);
    const ge = n === undefined ? groups.find((x) => x.name === g) : undefined;
    if (n === undefined && !ge) throw new HakoError(`unable to find group ${g}: no matching entries in group file`);
    gid = n ?? ge!.gid;
  }
  const member = entry ? groups.filter((x) => x.members.includes(entry.name)).map((x) => x.gid) : [];
  return { uid, gid, additionalGids: [...new Set([gid, ...member])] };
}
