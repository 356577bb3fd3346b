// Issue 12's adversarial corpus: every hostile layer of test/fixtures/layer-attacks.ts, unpacked
// beside a sentinel tree it aims at, in four ways: overlay with char-device whiteouts, overlay with
// xattr whiteouts, flatten onto a lower layer (whose symlinks point into the sentinel), an
// id-mapped overlay unpack (container 0..65535 -> host 100000..), and the copy fallback (the
// unpacked layer copied onto a rootfs with those lower symlinks). Each test asserts:
// - the sentinel is unchanged: entries (nothing created or deleted), content hashes, type, mode,
//   owner, size, link count, inode, mtime, ctime and xattrs (test/fixtures/sentinel.ts);
// - nothing appeared beside the layer dir or in the working directory;
// - unpack either succeeded (when the case allows it) or rejected with one clean line: an Error
//   whose message has no newline, no stack frame, no "internal error", is short, and names the entry.
// Runs as root (owners, device nodes, trusted.* xattrs).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyLayerOnto, LayerWorker, unpackLayer, type UnpackOptions } from '../../../src/storage/layers/index.js';
import { UsernsHolder } from '../../../src/native/userns.js';
import { setStoreUserns } from '../../../src/native/modes.js';
import { attackCases, lowerLayer, type AttackCase, type AttackContext } from '../../fixtures/layer-attacks.js';
import { diffSnapshots, makeSentinel, sentinelUnavailable, setXattr, snapshot, type Snapshot } from '../../fixtures/sentinel.js';

const isRoot = process.getuid?.() === 0;
type Mode = 'overlay-chardev' | 'overlay-xattr' | 'flatten' | 'idmap' | 'copy-fallback' | 'userns';

const ID_MAP = {
  uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
};

function optionsFor(mode: Mode): UnpackOptions {
  switch (mode) {
    case 'overlay-chardev':
      return { mode: 'overlay', whiteout: 'chardev' };
    case 'overlay-xattr':
      return { mode: 'overlay', whiteout: 'xattr' };
    case 'flatten':
      return { mode: 'flatten' };
    case 'idmap':
      return { mode: 'overlay', whiteout: 'chardev', idMap: ID_MAP };
    case 'copy-fallback':
      return { mode: 'overlay', whiteout: 'chardev' };
    case 'userns':
      return { mode: 'overlay', preserveOwnership: true, overlayXattrs: 'user', devices: 'skip' };
  }
}

/** userns: the rootless engine's path. The worker runs in a user namespace held by `hako-init
 *  userns-hold` (src/native/userns.ts), as a rootless store's does. Mapped 0->0 here, so root's
 *  sentinel is fully reachable from inside: the resolution rules alone must keep the attack in. */
let holder: UsernsHolder | undefined;
async function storeUserns(): Promise<string> {
  holder ??= await UsernsHolder.start([{ containerID: 0, hostID: 0, size: 65536 }], [{ containerID: 0, hostID: 0, size: 65536 }]);
  return holder.path;
}
/** The checks on a rejection: one clean line that says which entry. */
function assertCleanError(c: AttackCase, err: unknown): void {
  assert.ok(err instanceof Error, `rejects with an Error, got ${typeof err}: ${String(err).slice(0, 200)}`);
  const m = err.message;
  const shown = JSON.stringify(m.slice(0, 300));
  assert.ok(!m.includes('\n') && !m.includes('\r'), `error is one line: ${shown}`);
  assert.ok(!/\n\s+at |\bat [^ ]+ \(.*:\d+:\d+\)/.test(m), `error carries no stack frame: ${shown}`);
  assert.ok(!/internal error|undefined|\[object /i.test(m), `error is not an internal one: ${shown}`);
  assert.ok(m.length <= 16384, `error is a readable line, not ${m.length} characters: ${shown}…`);
  assert.ok(
    c.mentions.some((s) => m.includes(s)),
    `error names the entry (one of ${JSON.stringify(c.mentions.slice(0, 5))}): ${shown}`,
  );
}

// copy-fallback: the layer unpacked in overlay mode, then applied with copyLayerOnto (what runs
// when overlayfs is unavailable) onto a rootfs whose lower symlinks point into the sentinel.
const MODES: Mode[] = ['overlay-chardev', 'overlay-xattr', 'flatten', 'idmap', 'copy-fallback', 'userns'];

// One sentinel for the whole file (rebuilt whenever an attack changed it): building one costs a
// helper run and a snapshot, and ~300 tests would pay that twice each. The snapshot taken after a
// test is the next test's "before"; ctime makes a stale comparison impossible to pass by accident.
const TOP = mkdtempSync(join(tmpdir(), 'hako-attack-'));
chmodSync(TOP, 0o755);
after(() => removeTree(TOP));
const CTX: AttackContext = { sentinel: join(TOP, 'sentinel'), relSentinel: '../sentinel' };
const CASES = attackCases(CTX, { big: true });
let baseline: Snapshot | null = null;

async function freshBaseline(): Promise<Snapshot> {
  if (baseline) return baseline;
  rmSync(CTX.sentinel, { recursive: true, force: true });
  await makeSentinel(CTX.sentinel);
  baseline = await snapshot(CTX.sentinel);
  return baseline;
}

const xattrSkip = await xattrWhiteoutsSupported();
let serial = 0;

for (const c of CASES) {
  for (const mode of MODES) {
    if (c.modes && !c.modes.includes(mode)) continue;
    const skip = sentinelUnavailable || (mode === 'overlay-xattr' ? xattrSkip : false);
    test(`[${mode}] ${c.name}`, { skip, timeout: 180_000 }, async (t) => {
      const before = await freshBaseline();
      const dest = join(TOP, `layer-${++serial}`);
      mkdirSync(dest, { mode: 0o755 });
      t.after(() => removeTree(dest));
      if (mode === 'flatten') makeLower(dest, CTX);
      const rootfs = `${dest}-rootfs`;
      if (mode === 'copy-fallback') {
        mkdirSync(rootfs, { mode: 0o755 });
        t.after(() => removeTree(rootfs));
        makeLower(rootfs, CTX);
      }

      const topBefore = readdirSync(TOP).sort();
      const cwdBefore = readdirSync(process.cwd()).sort();
      const absentAims = c.aims.filter((p) => !lstatSafe(p));

      let err: unknown;
      let worker: LayerWorker | undefined;
      let accepted = false;
      let hung = false;
      let timer: NodeJS.Timeout | undefined;
      const settleMs = c.settleMs ?? 5_000;
      // A ref'd timer: an unpack that never settles must fail this test, not let the event loop
      // drain and silently end the whole file (which is what a bare await does).
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          hung = true;
          resolve();
        }, settleMs);
      });
      try {
        if (mode === 'userns') {
          setStoreUserns(await storeUserns()); // the worker is started in it, here
          worker = new LayerWorker(dest);
          setStoreUserns(undefined);
        }
        const apply = unpackLayer(c.open(), dest, { ...optionsFor(mode), worker }).then(() =>
          mode === 'copy-fallback' ? copyLayerOnto(dest, rootfs) : undefined,
        );
        await Promise.race([
          apply.then(() => {
            accepted = true;
          }),
          deadline,
        ]);
      } catch (e) {
        err = e;
        await worker?.abort(); // ours: a layer refused before unpackLayer took it must not idle on
      } finally {
        clearTimeout(timer);
      }
      if (hung) baseline = null; // it may still be running: rebuild the sentinel for the next test
      assert.equal(hung, false, `${c.description}: unpackLayer neither resolved nor rejected within ${settleMs / 1000} s`);

      const now = await snapshot(CTX.sentinel);
      const diffs = diffSnapshots(before, now);
      baseline = diffs.length ? null : now;
      assert.deepEqual(
        diffs,
        [],
        `${c.description}\nthe sentinel changed (${accepted ? 'unpack succeeded' : `unpack failed: ${String((err as Error)?.message).slice(0, 200)}`})`,
      );
      for (const p of absentAims) assert.equal(lstatSafe(p), false, `${p} appeared`);
      assert.deepEqual(readdirSync(TOP).sort(), topBefore, 'nothing appeared beside the layer dir');
      assert.deepEqual(readdirSync(process.cwd()).sort(), cwdBefore, 'nothing appeared in the working directory');
      if (accepted) {
        assert.equal(c.outcome, 'either', `${c.description}: must be rejected, but unpack succeeded`);
      } else {
        assertCleanError(c, err);
      }
    });
  }
}

after(() => holder?.close());

test('[userns] the worker runs in the held user namespace', { skip: !isRoot && 'needs root' }, async () => {
  setStoreUserns(await storeUserns());
  const dest = mkdtempSync(join(tmpdir(), 'hako-attack-ns-'));
  const worker = new LayerWorker(dest);
  setStoreUserns(undefined);
  try {
    const ns = (pid: number | string) => readlinkSync(`/proc/${pid}/ns/user`);
    const end = Date.now() + 10_000; // it joins right after exec; then it waits for records
    while (ns(worker.pid) === ns('self') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    assert.equal(ns(worker.pid), readlinkSync(holder!.path));
  } finally {
    await worker.abort();
    rmSync(dest, { recursive: true, force: true });
  }
});

/** trusted.* xattrs (what xattr whiteouts write) need root and a filesystem that keeps them. */
async function xattrWhiteoutsSupported(): Promise<string | false> {
  if (!isRoot || sentinelUnavailable) return 'needs root and python3';
  const d = mkdtempSync(join(tmpdir(), 'hako-xattr-probe-'));
  try {
    writeFileSync(join(d, 'f'), '');
    await setXattr(join(d, 'f'), 'trusted.overlay.whiteout', Buffer.alloc(0));
    return false;
  } catch (e) {
    return `trusted.* xattrs unavailable on ${tmpdir()}: ${(e as Error).message}`;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

function makeLower(dest: string, ctx: AttackContext): void {
  for (const e of lowerLayer(ctx)) {
    const p = join(dest, e.path);
    if (e.kind === 'dir') mkdirSync(p, { mode: 0o755 });
    else if (e.kind === 'file') writeFileSync(p, e.data ?? '');
    else symlinkSync(e.target!, p);
  }
}

/** rmSync recurses in JavaScript and overflows the stack on the ~2000-level tree the deep-path
 *  case leaves; GNU rm walks it iteratively (test cleanup only). */
function removeTree(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true });
  } catch {
    const r = spawnSync('rm', ['-rf', '--one-file-system', p], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`could not remove ${p}`);
  }
}

function lstatSafe(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
