// The layer worker: `hako-init unpack DEST [SOURCE]` (native/unpack.c) does every file system
// operation on an untrusted tree, relative to a directory fd and never through a symlink. Node's fs
// has no *at calls, so no path-taking fs call may touch such a tree (test/unit/storage/no-fs.test.ts
// greps this folder for them).
//
// Operations stream to the worker's stdin in the plan encoding, batched (no round trip per entry:
// that would make unpacking slow); a file's content follows its `file` record. Only queries
// (`list`, `xattrs`, `walk`) wait for an answer on stdout. The worker stops at the first failure
// with "record N: TEXT"; each record carries a label (the layer entry it came from), so the error is
// one line naming the entry.

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { HakoError } from '../../util/errors.js';
import { rmtree, spawnUnpackWorker, type WorkerPlace } from '../../native/modes.js';
import { decodeOpBytes, encodePlan } from '../../native/encode.js';
import type { UnpackRecord } from '../../native/ops.js';
import { quoteName } from './paths.js';

/** Flush the batch once it holds this much (a pipe write of a useful size). */
const BATCH = 256 * 1024;

export type Answer = Buffer[][];

/** Nanoseconds since the epoch, as the worker takes times. */
export function ns(d: Date): string {
  return (BigInt(d.getTime()) * 1000000n).toString();
}

export class LayerWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly labels: string[] = [];
  private stderr = '';
  private out: Buffer = Buffer.alloc(0);
  private answer: Answer = [];
  private waiting: Array<{ resolve(a: Answer): void; reject(e: Error): void }> = [];
  private exited: Promise<number | null>;
  private dead: Error | undefined;

  /** `what` prefixes errors that name no entry (e.g. "layer"). */
  constructor(
    dest: string,
    source?: string,
    private readonly what = 'layer',
    where: WorkerPlace = {},
  ) {
    this.child = spawnUnpackWorker(dest, source, where);
    this.child.stdin.on('error', () => {
      /* EPIPE once the worker failed: reported from its stderr */
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
    this.child.stdout.on('data', (d: Buffer) => this.onAnswer(d));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.dead = new HakoError(`${this.what}: starting hako-init: ${e.message}`);
        resolve(null);
      });
      this.child.on('close', (code) => {
        if (code !== 0) this.dead ??= this.error(code);
        for (const w of this.waiting.splice(0)) w.reject(this.dead ?? new HakoError(`${this.what}: the helper ended without answering`));
        resolve(code);
      });
    });
  }

  /** The worker's pid: a file it opened (`open`) is read through /proc/PID/fd/N. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The worker's failure as one line naming the layer entry. */
  private error(code: number | null): HakoError {
    const line = this.stderr.trim().split('\n').pop() ?? '';
    const m = /^hako-init: record (\d+): (.*)$/.exec(line);
    if (m) {
      const label = this.labels[Number(m[1])];
      return new HakoError(label !== undefined ? `${this.what} entry ${quoteName(label)}: ${m[2]}` : `${this.what}: ${m[2]}`);
    }
    return new HakoError(`${this.what}: ${line.replace(/^hako-init: /, '') || `helper failed with exit status ${code}`}`);
  }

  private onAnswer(d: Buffer): void {
    this.out = this.out.length ? Buffer.concat([this.out, d]) : d;
    let pos = 0;
    for (;;) {
      const rec = decodeOpBytes(this.out, pos);
      if (!rec) break;
      pos += rec.length;
      if (rec.op.length === 1 && rec.op[0]!.toString() === 'end') {
        this.waiting.shift()?.resolve(this.answer);
        this.answer = [];
      } else {
        this.answer.push(rec.op.map((b) => Buffer.from(b)));
      }
    }
    this.out = this.out.subarray(pos);
  }

  /** Queues one operation; `label` names the layer entry it belongs to. */
  op(fields: UnpackRecord, label: string): void {
    if (this.dead) throw this.dead;
    this.labels.push(label);
    this.raw(encodePlan([fields]));
  }

  /** Queues raw bytes (a file's content after its `file` record). */
  raw(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  /** Writes the batch if it is big enough (or always, with force), waiting while the pipe is full. */
  async flush(force = false): Promise<void> {
    if (this.dead) throw this.dead;
    if (this.pendingBytes === 0 || (!force && this.pendingBytes < BATCH)) return;
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.child.stdin.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.child.stdin.off('drain', done);
          this.child.off('close', done);
          resolve();
        };
        this.child.stdin.on('drain', done);
        this.child.on('close', done);
      });
    }
    if (this.dead) throw this.dead;
  }

  /** Sends a query and waits for its answer records (up to the worker's "end"). */
  async query(fields: UnpackRecord, label: string): Promise<Answer> {
    this.op(fields, label);
    const answer = new Promise<Answer>((resolve, reject) => this.waiting.push({ resolve, reject }));
    await this.flush(true);
    return answer;
  }

  /** Sends what is left, closes the worker's input and waits: throws the worker's error. */
  async close(): Promise<void> {
    if (!this.dead) {
      try {
        await this.flush(true);
      } catch {
        /* reported below */
      }
      this.child.stdin.end();
    }
    const code = await this.exited;
    if (this.dead) throw this.dead;
    if (code !== 0) throw this.error(code);
  }

  /** Stops the worker after a failure elsewhere (its partial work is the caller's to remove). */
  async abort(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Removes `path` (a layer directory, a container's upper dir or copied rootfs: untrusted trees) and
 * everything below it with `hako-init rmtree`: iterative (no recursion on the JS or C stack, a
 * 3000-level tree is fine), fd-relative, never following a symlink, never crossing into a mount.
 * Its parents are trusted paths. Missing is fine. Synchronous: releaseRootfs and pruneLayers are.
 */
export function removeTree(path: string, unmountFirst: string[] = []): void {
  try {
    rmtree(path, unmountFirst);
  } catch (e) {
    throw new HakoError(`removing ${path}: ${(e as Error).message}`);
  }
}
