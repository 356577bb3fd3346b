// Compiled-filter cache. libseccomp needs ~9 ms to compile Docker's default profile (three x86
// architectures) into BPF on every container start, while loading a finished program takes ~0.8 ms
// (mostly the kernel's own per-syscall action cache). So the PROFILE text is compiled once, by
// native/seccomp.c's hako_seccomp_export, into a blob (header, the text, the BPF program) kept in a
// root-owned directory; the `seccomp` plan op is then given the blob instead of the text and
// hako_seccomp_load hands the program to seccomp(2) directly. A blob made by another libseccomp or on
// another kernel release is detected in C and its embedded text compiled instead, so a stale cache
// costs time, never correctness.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256Hex } from '../../util/sha256.js';

/** Layout of native/seccomp.c's struct blob_header. */
export const BLOB_MAGIC = Buffer.from('\0HKBPF1\n', 'latin1');
export const BLOB_HEADER_SIZE = 112;
const TEXT_LEN_OFFSET = 12;

/** Makes the blob for PROFILE text (runs hako_seccomp_export in a helper process); throws on failure. */
export type SeccompExporter = (text: string) => Buffer;

/** True if `blob` is a compiled filter made from exactly `text`. */
export function blobMatches(blob: Buffer, text: string): boolean {
  if (blob.length < BLOB_HEADER_SIZE || !blob.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC)) return false;
  const textLen = blob.readUInt32LE(TEXT_LEN_OFFSET);
  const want = Buffer.from(text);
  return textLen === want.length && blob.subarray(BLOB_HEADER_SIZE, BLOB_HEADER_SIZE + textLen).equals(want);
}

/** A directory or file anyone but us could have written must not feed filters into containers. */
function trusted(st: fs.Stats): boolean {
  return st.uid === process.geteuid!() && (st.mode & 0o022) === 0;
}

/** The key covers what changes the program besides the text; libseccomp's version is checked in C. */
function cacheKey(text: string): string {
  return sha256Hex(`${os.release()}\n${process.arch}\n`, text);
}

/** Returns what the `seccomp` plan op should get for PROFILE `text`: the cached compiled blob from
 *  `dir` (making and storing it with `exportBlob` on a miss), or `text` itself if the cache cannot be
 *  used (untrusted directory, export failure). Never throws for cache problems: the text always works. */
export function cachedSeccompFilter(text: string, dir: string, exportBlob: SeccompExporter): Buffer | string {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(fs.statSync(dir))) return text;
    const file = path.join(dir, `${cacheKey(text)}.bpf`);
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        if (trusted(fs.fstatSync(fd))) {
          const blob = fs.readFileSync(fd);
          if (blobMatches(blob, text)) return blob;
        }
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return text;
    }
    const blob = exportBlob(text);
    if (!blobMatches(blob, text)) return text;
    // write-then-rename: a concurrent start sees the old file, the new one, or none, never half a blob
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      fs.writeFileSync(tmp, blob, { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, file);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
    return blob;
  } catch {
    return text;
  }
}
