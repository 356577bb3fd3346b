// `hako checkpoint` and `hako restore`, as podman's `container checkpoint/restore`: the running
// container's processes to criu images in <container>/checkpoint through its OCI runtime, and back
// under conmon (`conmon --restore`, which runs the runtime's `restore --detach`). `--export F`
// writes a tar.gz (container.json, checkpoint/, rootfs-diff.tar: the upper directory as a layer);
// `restore --import F [--name N]` makes a new container from the same image, applies the diff and
// restores into it, so a container moves to another name or host with its memory.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { procStat } from '../util/proc.js';
import { sleep } from '../util/sleep.js';
import { overlayDirs } from './changes.js';
import type { Engine } from './engine.js';
import { checkpointDir, exportCheckpoint, importCheckpoint } from './checkpoint-archive.js';
import type { ContainerConfig } from './types.js';

export interface CheckpointOptions {
  /** Write the checkpoint (and the root filesystem's changes) to this tar.gz. */
  export?: string;
  /** Keep criu's log and statistics files (podman's --keep). */
  keep?: boolean;
  leaveRunning?: boolean;
}

export interface RestoreOptions {
  /** Restore from a `checkpoint --export` archive into a new container. */
  import?: string;
  /** The new container's name (with --import). */
  name?: string;
  /** Keep the checkpoint images (and criu's logs) after the restore. */
  keep?: boolean;
}

const CRIU_FILES = ['dump.log', 'stats-dump'];

/** Checkpoints a running container; returns its id. */
export async function checkpointContainer(e: Engine, ref: string, opts: CheckpointOptions): Promise<string> {
  const id = e.store.resolve(ref);
  const images = checkpointDir(e, id);
  await e.store.lock(id, async () => {
    const st = await e.refresh(id);
    if (st.status !== 'running' || st.paused)
      throw new HakoError(`container ${ref} is not running (${st.paused ? 'paused' : st.status}): only a running container can be checkpointed`);
    fs.rmSync(images, { recursive: true, force: true });
    // The dump ends the process: conmon's exit command must not restart it.
    if (!opts.leaveRunning) e.store.writeState(id, { ...st, stopRequested: true });
    try {
      await (await e.runtimeFor(id)).checkpoint(id, { imagePath: images, leaveRunning: opts.leaveRunning });
    } catch (err) {
      if (!opts.leaveRunning) e.store.writeState(id, { ...e.store.readState(id), stopRequested: st.stopRequested });
      throw err;
    }
    if (!opts.leaveRunning) {
      e.store.writeState(id, { ...st, status: 'exited', pid: 0, exitCode: 0, stopRequested: true, checkpointed: true, finishedAt: new Date().toISOString() });
      await monitorGone(st.monitorPid, st.monitorStartTime);
    }
    e.event(id, 'checkpoint');
  });
  if (opts.export) await exportCheckpoint(e, id, upperDir(e, id), opts.export);
  if (!opts.keep) for (const f of CRIU_FILES) fs.rmSync(path.join(images, f), { force: true });
  return id;
}

/** Restores a checkpointed container, or (--import) a new one from an archive; returns its name. */
export async function restoreContainer(e: Engine, ref: string | undefined, opts: RestoreOptions): Promise<string> {
  let cfg: ContainerConfig;
  if (opts.import) {
    cfg = await importCheckpoint(e, opts.import, opts.name);
  } else {
    if (!ref) throw new HakoError('restore: a container name, or --import FILE');
    if (opts.name) throw new HakoError('--name is only for --import (a container keeps its name)');
    cfg = e.store.readConfig(e.store.resolve(ref));
    const st = await e.refresh(cfg.id);
    if (st.status === 'running') throw new HakoError(`container ${ref} is running: checkpoint it first`);
    if (!st.checkpointed || !fs.existsSync(path.join(checkpointDir(e, cfg.id), 'inventory.img'))) {
      throw new HakoError(`container ${ref} has no checkpoint to restore (hako checkpoint ${ref} makes one)`);
    }
  }
  const id = cfg.id;
  try {
    await e.startRestored(id, checkpointDir(e, id));
  } catch (err) {
    if (opts.import) await e.remove(id, { force: true }).catch(() => {});
    throw err;
  }
  await e.store.lock(id, async () => e.store.writeState(id, { ...e.store.readState(id), checkpointed: undefined, stopRequested: false }));
  if (!opts.keep) fs.rmSync(checkpointDir(e, id), { recursive: true, force: true });
  return cfg.name;
}

/** The container's upper directory, for the archive's root filesystem changes. */
export function upperDir(e: Engine, id: string): string {
  return overlayDirs(e.store.containerDir(id)).upper;
}

/** After a dump the process is gone; conmon follows it. Waits (10 s at most) so a restore right
 *  after does not meet the old monitor. */
async function monitorGone(pid: number | undefined, startTime: string | undefined): Promise<void> {
  for (let i = 0; pid && i < 1000; i++) {
    const s = procStat(pid);
    if (!s || s.startTime !== startTime || s.state === 'Z') return;
    await sleep(10);
  }
}
