// Runs the real `hako runtime` CLI (bin/hako, the bundled build) against real bundles, as root.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBundle } from '../../fixtures/busybox.js';
import type { Spec } from '../../../src/oci/types.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const HAKO = path.join(REPO, 'bin/hako');

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** runc, to compare hako with in the same test; undefined when it is not installed. */
export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
export const NO_RUNC = 'runc is not installed (Debian package runc), nothing to compare with';

/** Asserts runc's result of the same check: the same exit status and output (stdout, and stderr
 *  too with `stderr`), or, with `refused`, only that it failed as well. Without runc it says so. */
export function assertAsRunc(
  t: { diagnostic: (m: string) => void },
  hako: Result,
  runc: Result | undefined,
  how: { refused?: boolean; stderr?: boolean } = {},
): void {
  if (!runc) {
    t.diagnostic(NO_RUNC);
    return;
  }
  if (how.refused) {
    assert.notEqual(runc.status, 0, `runc refuses it too: ${runc.stdout}`);
    return;
  }
  assert.equal(runc.status, hako.status, `runc's exit status (its stderr: ${runc.stderr})`);
  assert.equal(hako.stdout, runc.stdout, 'runc prints the same');
  if (how.stderr) assert.equal(hako.stderr, runc.stderr, 'runc says the same on stderr');
}

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

  /** runc with a state root of its own (removed by cleanup()). Only call it when RUNC is set. */
  runc(args: string[], opts: SpawnSyncOptions = {}): Result {
    if (!RUNC) throw new Error(NO_RUNC);
    const r = spawnSync(RUNC, ['--root', this.runcRoot(), ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
    return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  runcRoot(): string {
    const dir = path.join(this.root, '.runc');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  bundle(args: string[], edit?: (spec: Spec) => void): string {
    const b = makeBundle(args, edit);
    this.bundles.push(b);
    return b;
  }

  /** For commands that leave a container running (create, run -d): the container inherits our
   *  stdio, so it must not be a pipe we wait on. Output goes to a file read afterwards. */
  hakoDetached(args: string[]): Result {
    return this.detached(HAKO, ['runtime', '--root', this.root, ...args]);
  }

  /** runc's `run -d`, `exec -d`…, as hakoDetached. Only call it when RUNC is set. */
  runcDetached(args: string[]): Result {
    if (!RUNC) throw new Error(NO_RUNC);
    return this.detached(RUNC, ['--root', this.runcRoot(), ...args]);
  }

  private detached(file: string, args: string[]): Result {
    const out = path.join(this.root, `.out-${++this.seq}`);
    const fd = fs.openSync(out, 'w+');
    try {
      const r = spawnSync(file, args, { stdio: ['ignore', fd, fd], timeout: 30_000 });
      const text = fs.readFileSync(out, 'utf8');
      return { status: r.status, stdout: text, stderr: text };
    } finally {
      fs.closeSync(fd);
      fs.rmSync(out, { force: true });
    }
  }

  /** The same check under both runtimes: `run` in the foreground of two fresh bundles made alike
   *  (`prepare` may change each one's files), one under hako, one under runc when installed. */
  runBoth(
    args: string[],
    edit?: (spec: Spec) => void,
    prepare?: (bundle: string) => void,
    opts: SpawnSyncOptions = {},
  ): { hako: Result; runc?: Result; bundles: { hako: string; runc?: string } } {
    const make = () => {
      const b = this.bundle(args, edit);
      prepare?.(b);
      return b;
    };
    const bundles: { hako: string; runc?: string } = { hako: make() };
    const hako = this.hako(['run', '--bundle', bundles.hako, this.id()], opts);
    if (!RUNC) return { hako, bundles };
    bundles.runc = make();
    return { hako, runc: this.runc(['run', '--bundle', bundles.runc, this.id('runc')], opts), bundles };
  }

  /** `run` a fresh busybox bundle in the foreground and return what it printed. */
  run(args: string[], edit?: (spec: Spec) => void, runFlags: string[] = []): Result {
    return this.hako(['run', ...runFlags, '--bundle', this.bundle(args, edit), this.id()]);
  }

  cleanup(): void {
    for (const id of fs.existsSync(this.root) ? fs.readdirSync(this.root) : []) {
      if (!id.startsWith('.')) this.hako(['delete', '--force', id]);
    }
    const runcRoot = path.join(this.root, '.runc');
    for (const id of fs.existsSync(runcRoot) ? fs.readdirSync(runcRoot) : []) this.runc(['delete', '--force', id]);
    fs.rmSync(this.root, { recursive: true, force: true });
    for (const b of this.bundles) fs.rmSync(b, { recursive: true, force: true });
  }
}

/** Mount points under `dir` still mounted on the host (there must be none after a container). */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m?.startsWith(dir));
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

/** The host's namespace of a type, as `readlink /proc/self/ns/<name>` prints it (to compare with inside). */
export const hostNs = (name: string): string => fs.readlinkSync(`/proc/self/ns/${name}`);
