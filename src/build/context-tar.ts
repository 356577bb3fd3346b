// A build whose context arrives as a tar stream (the Engine API's `POST /build` body, what
// `docker build` and compose send): the stream is unpacked by the layer worker into a private
// directory of the engine's build space and built from there as any context directory. The tar is
// untrusted: the worker writes beneath that directory only (`..` and absolute names are refused,
// symlinks are stored as symlinks and never followed, hard links stay inside), `.wh.` names are
// plain files, and the directory is removed whatever happens (by the next build if this process
// is killed: prune.ts knows the name).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { HakoError } from '../util/errors.js';
import type { Engine } from '../engine/engine.js';
import { unpackLayer, removeTree } from '../storage/layers/index.js';
import { build, type BuildOptions, type BuildResult } from './builder.js';

/** Unpacks the context tar (plain, gzip or zstd: the bytes decide) into a new directory. */
export async function unpackContext(input: Readable, dir: string): Promise<void> {
  fs.mkdirSync(dir, { mode: 0o700 });
  try {
    await unpackLayer(input, dir, { mode: 'overlay', whiteouts: false, preserveOwnership: false });
  } catch (e) {
    if (e instanceof HakoError) throw new HakoError(`build context: ${e.message.replace(/^layer /, '')}`, 125);
    throw e;
  }
}

/** Builds from a context tar stream; `opts` as build()'s without the context directory. */
export async function buildFromTar(engine: Engine, input: Readable, opts: Omit<BuildOptions, 'contextDir' | 'dockerfile'>): Promise<BuildResult> {
  const base = path.join(engine.root, 'build');
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = path.join(base, `${process.pid}-context-${crypto.randomBytes(6).toString('hex')}`);
  try {
    await unpackContext(input, dir);
    return await build(engine, { ...opts, contextDir: dir });
  } finally {
    removeTree(dir);
  }
}
