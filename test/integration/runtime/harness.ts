// Runs the real `hako runtime` CLI (bin/hako, the bundled build) against real bundles, as root.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBundle } from '../../fixtures/busybox.js';
import type { Spec } from '../../../src/oci/types.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const HAKO = path.join(REPO, 'bin/hako');

export interface Result { status: number | null; stdout: string; stderr: string }

export class Harness {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-state-'));
  private bundles: string[] = [];
  private seq = 0;

  id(prefix = 'c'): string {
    return `${prefix}-${process.pid}-${++this.seq}`;
  }

  hako(args: string[], opts: SpawnSyncOptions = {}): Result {
    const r = spawnSync(HAKO, ['runtime', '--root', this.root, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
    return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  bundle(args: string[], edit?: (spec: Spec) => void): string {
    const b = makeBundle(args, edit);
    this.bundles.push(b);
    return b;
  }

  /** For commands that leave a container running (create, run -d): the container inherits our
   *  stdio, so it must not be a pipe we wait on. Output goes to a file read afterwards. */
  hakoDetached(args: string[]): Result {
    const out = path.join(this.root, `.out-${++this.seq}`);
    const fd = fs.openSync(out, 'w+');
    try {
      const r = spawnSync(HAKO, ['runtime', '--root', this.root, ...args], { stdio: ['ignore', fd, fd], timeout: 30_000 });
      const text = fs.readFileSync(out, 'utf8');
      return { status: r.status, stdout: text, stderr: text };
    } finally {
      fs.closeSync(fd);
      fs.rmSync(out, { force: true });
    }
  }

  /** `run` a fresh busybox bundle in the foreground and return what it printed. */
  run(args: string[], edit?: (spec: Spec) => void, runFlags: string[] = []): Result {
    return this.hako(['run', ...runFlags, '--bundle', this.bundle(args, edit), this.id()]);
  }

  cleanup(): void {
    for (const id of fs.existsSync(this.root) ? fs.readdirSync(this.root) : []) {
      if (!id.startsWith('.')) this.hako(['delete', '--force', id]);
    }
    fs.rmSync(this.root, { recursive: true, force: true });
    for (const b of this.bundles) fs.rmSync(b, { recursive: true, force: true });
  }
}

/** Mount points under `dir` still mounted on the host (there must be none after a container). */
export function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(dir));
}

/** Waits (blocking: the CLI runs synchronously in these tests) until `pred` holds; a hang guard of
 *  10 s, not a timing check. */
export function waitFor(pred: () => boolean, what: string): void {
  const end = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
