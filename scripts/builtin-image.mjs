#!/usr/bin/env node
// Makes the built-in image `hako.local/busybox:latest` available offline: a one-layer image built
// from Debian's static busybox (/bin/busybox, package busybox-static), like the official busybox
// image: /bin/busybox with every applet as a symlink in /bin, /etc/passwd and /etc/group, /tmp.
// Uses src/image's importRootfs (from build/, so run `npm run build` first).
//
//   node scripts/builtin-image.mjs [--root DIR] [--force]     (root default: $HAKO_ROOT or /var/lib/hako)
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import tar from 'tar-stream';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = path.join(here, '..', 'build', 'src');
const REFERENCE = 'hako.local/busybox:latest';
const BUSYBOX = process.env.HAKO_BUSYBOX || '/bin/busybox';

const { values } = parseArgs({ options: { root: { type: 'string' }, force: { type: 'boolean' } } });
const root = values.root || process.env.HAKO_ROOT || '/var/lib/hako';

const { ContentStore } = await import(path.join(build, 'storage/store/index.js'));
const { importRootfs } = await import(path.join(build, 'image/index.js'));

const store = new ContentStore(root);
if (!values.force && store.resolve(REFERENCE)) {
  console.log(`${REFERENCE} is already in ${root}`);
  process.exit(0);
}
if (!fs.existsSync(BUSYBOX)) {
  console.error(`builtin-image: ${BUSYBOX} is missing: install Debian's busybox-static`);
  process.exit(1);
}
const elf = fs.readFileSync(BUSYBOX);
// A dynamically linked busybox names its loader (PT_INTERP); the image has no libc for it.
if (/\/ld-linux[\w.-]*\.so|\/ld-musl-/.test(elf.toString('latin1'))) {
  console.error(`builtin-image: ${BUSYBOX} is not statically linked (install busybox-static, not busybox)`);
  process.exit(1);
}
const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox' && !a.includes('/'));

// Fixed mtimes and order: the same busybox always gives the same layer digest.
const mtime = new Date(0);
const pack = tar.pack();
const dir = (name, mode = 0o755) => pack.entry({ name, type: 'directory', mode, mtime, uid: 0, gid: 0 });
const file = (name, data, mode = 0o644) => pack.entry({ name, mode, mtime, uid: 0, gid: 0 }, data);
for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'usr', 'usr/sbin', 'usr/bin', 'var', 'var/spool', 'var/www']) dir(`${d}/`, d === 'root' ? 0o700 : 0o755);
dir('tmp/', 0o1777);
file('bin/busybox', elf, 0o755);
for (const a of applets.sort()) pack.entry({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox', mtime, uid: 0, gid: 0 });
file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
file('etc/group', 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nwheel:x:10:root\nnogroup:x:65534:\n');
file('etc/shadow', 'root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n', 0o600);
file('etc/hostname', 'busybox\n');
pack.finalize();

const rec = await importRootfs(store, pack, REFERENCE, {
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
  comment: `built from ${BUSYBOX}`,
});
console.log(`${rec.reference} ${rec.config}`);
