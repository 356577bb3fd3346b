// The built-in image `hako.local/busybox:latest`, made offline in whatever store asks for it: a
// one-layer image from Debian's static busybox (/bin/busybox, package busybox-static), like the
// official busybox image: /bin/busybox with every applet as a symlink in /bin, /etc/passwd and
// /etc/group, /tmp. `hako --root DIR run hako.local/busybox` makes it in DIR on first use (no
// registry serves hako.local); scripts/builtin-image.mjs makes it ahead of time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { HakoError } from '../util/errors.js';
import type { ContentStore, ImageRecord } from '../storage/store/index.js';
import { parseReference } from '../oci/image/reference.js';

export const BUILTIN_IMAGE = 'hako.local/busybox:latest';

/** The busybox it is made from: $HAKO_BUSYBOX, else Debian's busybox-static. */
export function builtinBusybox(): string {
  return process.env.HAKO_BUSYBOX || '/bin/busybox';
}

/** Whether `ref` names the built-in image (`hako.local/busybox`, `…:latest`). */
export function isBuiltinImage(ref: string): boolean {
  try {
    const r = parseReference(ref);
    return r.domain === 'hako.local' && r.path === 'busybox' && (r.tag ?? 'latest') === 'latest' && !r.digest;
  } catch {
    return false;
  }
}

/** Makes the built-in image in `store` (again, if `force`); its record. */
export async function makeBuiltinImage(store: ContentStore, opts: { force?: boolean; busybox?: string } = {}): Promise<ImageRecord> {
  const existing = store.resolve(BUILTIN_IMAGE);
  if (existing && !opts.force) return existing;
  const busybox = opts.busybox ?? builtinBusybox();
  let elf: Buffer;
  try {
    elf = fs.readFileSync(busybox);
  } catch {
    throw new HakoError(`${BUILTIN_IMAGE} is made from ${busybox}, which is missing: install Debian's busybox-static`);
  }
  // A dynamically linked busybox names its loader (PT_INTERP); the image has no libc for it.
  if (/\/ld-linux[\w.-]*\.so|\/ld-musl-/.test(elf.toString('latin1'))) {
    throw new HakoError(`${BUILTIN_IMAGE} needs a static busybox, and ${busybox} is dynamically linked: install busybox-static, not busybox`);
  }
  let list: string;
  try {
    list = execFileSync(busybox, ['--list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    throw new HakoError(`${busybox} --list: ${(e as Error).message.split('\n')[0]}`);
  }
  const applets = list.split('\n').filter((a) => a && a !== 'busybox' && !a.includes('/'));

  const { default: tar } = await import('tar-stream');
  const { importRootfs } = await import('../image/archive.js');
  // Fixed mtimes and order: the same busybox always gives the same layer digest.
  const mtime = new Date(0);
  const pack = tar.pack();
  const dir = (name: string, mode = 0o755) => pack.entry({ name, type: 'directory', mode, mtime, uid: 0, gid: 0 });
  const file = (name: string, data: string | Buffer, mode = 0o644) => pack.entry({ name, mode, mtime, uid: 0, gid: 0 }, data);
  for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'usr', 'usr/sbin', 'usr/bin', 'var', 'var/spool', 'var/www'])
    dir(`${d}/`, d === 'root' ? 0o700 : 0o755);
  dir('tmp/', 0o1777);
  file('bin/busybox', elf, 0o755);
  for (const a of applets.sort()) pack.entry({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox', mtime, uid: 0, gid: 0 });
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  file('etc/group', 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nwheel:x:10:root\nnogroup:x:65534:\n');
  file('etc/shadow', 'root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n', 0o600);
  file('etc/hostname', 'busybox\n');
  pack.finalize();

  return importRootfs(store, pack as unknown as Readable, BUILTIN_IMAGE, {
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    comment: `built from ${busybox}`,
  });
}
