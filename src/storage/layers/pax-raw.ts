// tar-stream decodes PAX records as UTF-8 strings, which destroys binary xattr values (a
// security.capability value is raw bytes, and invalid UTF-8 turns into U+FFFD). GNU tar and the
// Go/Docker tar writers store SCHILY.xattr.* values as raw bytes. So we wrap tar-stream's
// `headers.decodePax` (looked up through the module object at every call in extract.js) to also
// attach the raw bytes of every SCHILY.xattr.* record under a symbol key. Symbol keys are invisible
// to other users of the object and survive the Object.assign() tar-stream uses to merge global
// headers. If a future tar-stream changes this, `rawXattrs` falls back to the UTF-8 strings and the
// unit test with a non-UTF-8 capability value fails, which tells us.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const RAW_XATTRS: unique symbol = Symbol('hako.rawXattrs');
const XATTR_PREFIX = 'SCHILY.xattr.';

function rawRecords(buf: Buffer): Record<string, Buffer> {
  const raw: Record<string, Buffer> = {};
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 32) i++;
    const len = parseInt(buf.subarray(0, i).toString('latin1'), 10);
    if (!len || len > buf.length) break;
    const rec = buf.subarray(i + 1, len - 1); // drop the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq === -1) break;
    const key = rec.subarray(0, eq).toString('utf8');
    if (key.startsWith(XATTR_PREFIX)) raw[key.slice(XATTR_PREFIX.length)] = Buffer.from(rec.subarray(eq + 1));
    buf = buf.subarray(len);
  }
  return raw;
}

let installed = false;
export function installRawPax(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  let headers: { decodePax?: (buf: Buffer) => Record<string | symbol, unknown> };
  // The package's "exports" hide headers.js; requiring it by absolute file name gives the very module
  // instance extract.js loaded with require('./headers').
  try { headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')); } catch { return; }
  const orig = headers.decodePax;
  if (typeof orig !== 'function') return;
  headers.decodePax = function decodePax(buf: Buffer) {
    const res = orig(buf);
    const raw = rawRecords(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    if (Object.keys(raw).length) res[RAW_XATTRS] = raw;
    return res;
  };
}

/** The xattrs of an entry's PAX header, as bytes. */
export function rawXattrs(pax: Record<string, unknown> | undefined | null): Record<string, Buffer> {
  if (!pax) return {};
  const raw = (pax as Record<symbol, unknown>)[RAW_XATTRS] as Record<string, Buffer> | undefined;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith(XATTR_PREFIX) && typeof v === 'string') out[k.slice(XATTR_PREFIX.length)] = Buffer.from(v, 'utf8');
  }
  if (raw) Object.assign(out, raw);
  return out;
}
