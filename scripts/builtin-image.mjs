#!/usr/bin/env node
// Makes the built-in image `hako.local/busybox:latest` ahead of time, from Debian's static busybox
// (/bin/busybox, package busybox-static, or $HAKO_BUSYBOX). The engine makes it in any store on
// first use as well (src/engine/builtin-image.ts, which this calls from build/, so run
// `npm run build` first).
//
//   node scripts/builtin-image.mjs [--root DIR] [--force]     (root default: $HAKO_ROOT or /var/lib/hako)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = path.join(here, '..', 'build', 'src');

const { values } = parseArgs({ options: { root: { type: 'string' }, force: { type: 'boolean' } } });
const root = values.root || process.env.HAKO_ROOT || '/var/lib/hako';

const { ContentStore } = await import(path.join(build, 'storage/store/index.js'));
const { BUILTIN_IMAGE, makeBuiltinImage } = await import(path.join(build, 'engine/builtin-image.js'));

const store = new ContentStore(root);
if (!values.force && store.resolve(BUILTIN_IMAGE)) {
  console.log(`${BUILTIN_IMAGE} is already in ${root}`);
  process.exit(0);
}
try {
  const rec = await makeBuiltinImage(store, { force: values.force });
  console.log(`${rec.reference} ${rec.config}`);
} catch (e) {
  console.error(`builtin-image: ${e.message}`);
  process.exit(1);
}
