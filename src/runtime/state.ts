// Container state on disk: <root>/<id>/state.json plus the start barrier <root>/<id>/exec.fifo.
// state.json carries its format version (STATE_FORMAT): a hako that cannot read it says so.
// The state must outlive the command that created the container, so everything needed later
// (pid and its start time, bundle, cgroup, hooks for poststop) is written here.
import fs from 'node:fs';
import path from 'node:path';
import { asHakoError, HakoError, quote } from '../util/errors.js';
import { acquirePidLockAsync, releasePidLock } from '../util/pidlock.js';
import type { Hooks, Spec, State } from '../oci/types.js';
import { OCI_VERSION } from '../oci/default.js';
import { mkdirp } from '../util/mkdirp.js';
import { procStat } from '../util/proc.js';
import { readVersioned, stampVersion, type DocumentFormat } from '../util/format-version.js';
import { defaultRoot, fallbackRoot, privateRoot } from './root.js';

export { defaultRoot, ensureFallbackRoot, fallbackRoot } from './root.js';

/** state.json's format. Version 1: ContainerRecord as below. A change that an older hako would
 *  misread raises `current` (with a migration from the previous version where one is possible). */
export const STATE_FORMAT: DocumentFormat = { what: 'container state', current: 1 };

export interface ContainerRecord {
  id: string;
  bundle: string;
  /** The container process in the runtime's PID namespace; 0 while creating. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells our process from a later one that reused the pid. */
  pidStartTime: string;
  created: string;
  status: 'creating' | 'created';
  annotations?: Record<string, string>;
  cgroupsPath?: string;
  hooks?: Hooks;
  /** The container owns a PID namespace: killing its init kills everything. */
  ownPidNamespace: boolean;
  /** No mount namespace of its own: its rootfs (real path) was built in ours, over `below` mounts
   *  that were there before (src/runtime/host-mounts.ts). */
  hostMounts?: { rootfs: string; below: number };
}

// runc's validateID: letters, digits and _ + - . only, and not "." or "..". The id names a directory
// (<root>/<id>) and the default cgroup (/hako/<id>), so it is also at most NAME_MAX (255) bytes:
// runc leaves that to mkdir's ENAMETOOLONG, we say it in the id's own words.
const ID_RE = /^[\w+\-.]+$/;
export const MAX_ID_LENGTH = 255;
/** Everything StateDir keeps in a container's directory (the lock last: we may be holding it). */
const STATE_FILES = ['state.json', 'config.json', 'exec.fifo', 'lock'];

export function validateId(id: string | undefined): string {
  if (!id) throw new HakoError('container id is required');
  if (id.length > MAX_ID_LENGTH) throw new HakoError(`invalid container id ${quote(id, 40)}: ${id.length} characters, at most ${MAX_ID_LENGTH}`);
  if (!ID_RE.test(id) || id === '.' || id === '..') {
    throw new HakoError(`invalid container id ${quote(id)}: use letters, digits, and _ + - .`);
  }
  return id;
}

export class StateDir {
  /** The fallback root is checked once before its first use (see privateRoot). */
  private rootChecked: boolean;

  constructor(readonly root: string = defaultRoot()) {
    this.rootChecked = root !== fallbackRoot() || process.geteuid?.() === 0;
  }

  private checkRoot(create: boolean): void {
    if (this.rootChecked) return;
    privateRoot(this.root, create);
    // Not yet made: check again when it is.
    this.rootChecked = create || fs.existsSync(this.root);
  }

  dir(id: string): string {
    this.checkRoot(false);
    return path.join(this.root, id);
  }

  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Claims the id: mkdir is atomic, so of two racing `create`s exactly one wins. */
  claim(id: string): void {
    this.checkRoot(true);
    try {
      mkdirp(this.root, 0o711);
    } catch (e) {
      throw asHakoError(`cannot create the state directory ${this.root}`, e);
    }
    try {
      fs.mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new HakoError(`container "${id}" already exists`);
      throw asHakoError(`cannot create the state directory ${this.dir(id)}`, e);
    }
  }

  write(rec: ContainerRecord): void {
    const file = path.join(this.dir(rec.id), 'state.json');
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(stampVersion(rec, STATE_FORMAT)));
    fs.renameSync(tmp, file);
  }

  /** The container's config.json as it was at create: exec takes its defaults from it. */
  writeConfig(id: string, spec: Spec): void {
    fs.writeFileSync(path.join(this.dir(id), 'config.json'), JSON.stringify(spec));
  }

  readConfig(id: string): Spec {
    this.read(id); // a clear "does not exist" first
    return JSON.parse(fs.readFileSync(path.join(this.dir(id), 'config.json'), 'utf8')) as Spec;
  }

  read(id: string): ContainerRecord {
    validateId(id);
    const file = path.join(this.dir(id), 'state.json');
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new HakoError(`container "${id}" does not exist`);
      throw new HakoError(`container "${id}": unreadable state: ${(e as Error).message}`);
    }
    return readVersioned<ContainerRecord>(doc, file, STATE_FORMAT);
  }

  /** Whether a container with this id has a state (an id being claimed by `create` has none yet). */
  exists(id: string): boolean {
    return fs.existsSync(path.join(this.dir(validateId(id)), 'state.json'));
  }

  list(): string[] {
    this.checkRoot(false);
    try {
      return fs.readdirSync(this.root).filter((n) => ID_RE.test(n) && fs.existsSync(path.join(this.dir(n), 'state.json')));
    } catch {
      return [];
    }
  }

  /** Removes the container's directory: its files are known, so unlink them and rmdir, without the
   *  listing and lstat per entry of a recursive remove; anything unexpected falls back to one. */
  remove(id: string): void {
    const dir = this.dir(id);
    for (const name of STATE_FILES) {
      try {
        fs.unlinkSync(path.join(dir, name));
      } catch {
        /* not there */
      }
    }
    try {
      fs.rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Serialises commands on one container (start vs delete vs kill races). A lock file with
   * the owner's pid (util/pidlock.ts); a lock whose owner is dead is taken over. Waiting for another
   * holder yields the event loop (timer sleeps); the callback may be async.
   */
  async lock<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
    const lock = path.join(this.dir(id), 'lock');
    await acquirePidLockAsync(lock, {
      timeoutMs: 10_000,
      maxPollMs: 5,
      missing: () => new HakoError(`container "${id}" does not exist`),
      busy: (owner) => new HakoError(`container "${id}" is locked by process ${owner}`),
    });
    try {
      return await fn();
    } finally {
      releasePidLock(lock);
    }
  }
}

export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** The OCI status, derived like runc does: a dead (or reused) pid is stopped, an unopened start
 *  barrier is created, otherwise running. */
export function statusOf(stateDir: StateDir, rec: ContainerRecord): Exclude<State['status'], 'paused'> {
  if (rec.status === 'creating' || rec.pid === 0) return 'creating';
  const st = procStat(rec.pid);
  if (!st || st.startTime !== rec.pidStartTime || st.state === 'Z' || st.state === 'X') return 'stopped';
  if (fs.existsSync(stateDir.fifo(rec.id))) return 'created';
  return 'running';
}

export function ociState(stateDir: StateDir, rec: ContainerRecord): State {
  const status = statusOf(stateDir, rec);
  const state: State = { ociVersion: OCI_VERSION, id: rec.id, status, bundle: rec.bundle };
  if (status !== 'stopped' && rec.pid) state.pid = rec.pid;
  if (rec.annotations && Object.keys(rec.annotations).length) state.annotations = rec.annotations;
  return state;
}
