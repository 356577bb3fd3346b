// The engine's container store: <root>/containers/<id>/ holds what the user asked (container.json),
// what happened (state.json), the OCI bundle (bundle/config.json + bundle/rootfs), the log and
// conmon's exit directory. Everything a later `hako` command needs is on disk: there is no daemon.
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { acquirePidLockAsync, releasePidLock } from '../util/pidlock.js';
import { ensurePrivateDir } from '../storage/store/store.js';
import { defaultRoot, ensureFallbackRoot, fallbackRoot } from '../runtime/root.js';
import { isRootless, rootlessStoreDir } from './rootless.js';
import { removeTree } from '../storage/layers/worker.js';
import { rootfsMountpoint } from './rootfs.js';
import type { ContainerConfig, ContainerState } from './types.js';
import { mkdirp } from '../util/mkdirp.js';
import { randomHex } from '../util/random.js';
import { FormatVersionError, readVersioned, stampVersion, type DocumentFormat } from '../util/format-version.js';

export const DEFAULT_ENGINE_ROOT = '/var/lib/hako';

/** The formats of container.json and state.json (util/format-version.ts). Version 1: ContainerConfig
 *  and ContainerState (types.ts). Raise `current` for a change an older hako would misread. */
export const CONTAINER_CONFIG_FORMAT: DocumentFormat = { what: 'container record', current: 1 };
export const CONTAINER_STATE_FORMAT: DocumentFormat = { what: 'container state', current: 1 };

/** The engine root: --root, else $HAKO_ROOT, else /var/lib/hako (shared with the image store), or
 *  the user's own store when rootless (rootless.ts). */
export function engineRoot(flag?: string): string {
  return path.resolve(flag || process.env.HAKO_ROOT || (isRootless() ? rootlessStoreDir() : DEFAULT_ENGINE_ROOT));
}

/** <runtime dir>/engine: $XDG_RUNTIME_DIR/hako/engine, or /tmp/hako-$UID/engine made private first. */
function rootlessRuntimeDir(onNote?: (message: string) => void): string {
  const base = defaultRoot(onNote);
  if (base === fallbackRoot()) ensureFallbackRoot();
  return path.join(base, 'engine');
}

export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function newId(): string {
  return randomHex(32);
}

/** The container locks the current asynchronous call chain holds (ContainerStore.lock). */
const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

export class ContainerStore {
  readonly dir: string;

  private runRoot?: string;

  /** `onNote`: told once when rootless runtime state falls back to /tmp (runtime/state.ts). */
  constructor(
    readonly root: string,
    private readonly onNote?: (message: string) => void,
  ) {
    this.dir = path.join(root, 'containers');
  }

  containerDir(id: string): string {
    return path.join(this.dir, id);
  }
  bundleDir(id: string): string {
    return path.join(this.dir, id, 'bundle');
  }
  rootfs(id: string): string {
    return path.join(this.dir, id, 'bundle', 'rootfs');
  }
  logPath(id: string): string {
    return path.join(this.dir, id, 'container.log');
  }
  exitDir(id: string): string {
    return path.join(this.dir, id, 'exits');
  }
  /** Where the OCI runtime keeps its own state for our containers: under the root, so a temp root
   *  used by tests holds everything, and the default one is on tmpfs like runc's: /run/hako/engine,
   *  or for the rootless default store the user's runtime directory (runtime/state.ts). */
  runtimeRoot(): string {
    this.runRoot ??=
      this.root === DEFAULT_ENGINE_ROOT
        ? '/run/hako/engine'
        : isRootless() && this.root === rootlessStoreDir()
          ? rootlessRuntimeDir(this.onNote)
          : path.join(this.root, 'run');
    return this.runRoot;
  }

  ids(): string[] {
    try {
      return fs.readdirSync(this.dir).filter((n) => /^[0-9a-f]{64}$/.test(n) && fs.existsSync(path.join(this.dir, n, 'container.json')));
    } catch {
      return [];
    }
  }

  /** Creates the container's directory and claims its name; the name claim is a file under
   *  <root>/names so that two racing `run --name x` cannot both win. */
  create(cfg: ContainerConfig): void {
    mkdirp(path.join(this.root, 'names'), 0o700);
    ensurePrivateDir(this.dir); // upper dirs hold what containers made (device nodes too): 0700 even if pre-made
    const nameFile = path.join(this.root, 'names', cfg.name);
    try {
      fs.writeFileSync(nameFile, cfg.id, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = fs.readFileSync(nameFile, 'utf8');
      if (fs.existsSync(path.join(this.dir, owner, 'container.json'))) {
        throw new HakoError(`the container name "/${cfg.name}" is already in use by container "${owner}": remove (or rename) that container to reuse the name`);
      }
      fs.writeFileSync(nameFile, cfg.id); // a stale claim left by a crash
    }
    // Made under a temporary name and renamed into place: a hako killed half-way leaves a
    // `.creating-` directory (swept later), never a container directory without its config.
    const tmp = path.join(this.dir, `.creating-${cfg.id}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { mode: 0o711 });
    fs.mkdirSync(path.join(tmp, 'exits'));
    writeJSON(path.join(tmp, 'container.json'), stampVersion(cfg, CONTAINER_CONFIG_FORMAT));
    fs.renameSync(tmp, this.containerDir(cfg.id));
  }

  readConfig(id: string): ContainerConfig {
    return readJSON(path.join(this.containerDir(id), 'container.json'), `container ${id}`, CONTAINER_CONFIG_FORMAT);
  }

  writeConfig(cfg: ContainerConfig): void {
    writeJSON(path.join(this.containerDir(cfg.id), 'container.json'), stampVersion(cfg, CONTAINER_CONFIG_FORMAT));
  }

  readState(id: string): ContainerState {
    try {
      return readJSON(path.join(this.containerDir(id), 'state.json'), `container ${id}`, CONTAINER_STATE_FORMAT);
    } catch (e) {
      if (e instanceof FormatVersionError) throw e;
      return { status: 'created', pid: 0, exitCode: 0, restartCount: 0 };
    }
  }

  writeState(id: string, st: ContainerState): void {
    writeJSON(path.join(this.containerDir(id), 'state.json'), stampVersion(st, CONTAINER_STATE_FORMAT));
  }

  /** Removes the container's directory and its name; `unmountFirst`: mounts inside it to detach
   *  first, in the same run of the removal worker (its root filesystem). */
  remove(id: string, name: string, unmountFirst: string[] = []): void {
    // Renamed away first, so the container is gone at once for every reader (ps, resolve) and a
    // removal cut short leaves a `.removing-` directory that sweepAbandoned() finishes, never a
    // half-removed container directory that nothing lists.
    const dir = this.containerDir(id);
    const doomed = path.join(this.dir, `.removing-${id}`);
    try {
      fs.renameSync(dir, doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!fs.existsSync(doomed)) return; // removed by another process meanwhile
    }
    const moved = unmountFirst.map((m) => (m.startsWith(`${dir}/`) ? doomed + m.slice(dir.length) : m));
    removeTree(doomed, moved); // fs/upper may still be there: image and container content
    const nameFile = path.join(this.root, 'names', name);
    try {
      if (fs.readFileSync(nameFile, 'utf8') === id) fs.rmSync(nameFile, { force: true });
    } catch {
      /* no claim */
    }
  }

  /** Finishes what a killed hako left: `.creating-` and `.removing-` directories whose writer is
   *  gone (older than a minute: a live create or remove takes milliseconds). */
  sweepAbandoned(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!/^\.(creating|removing)-[0-9a-f]{64}$/.test(n)) continue;
      const dir = path.join(this.dir, n);
      try {
        if (Date.now() - fs.lstatSync(dir).mtimeMs < 60_000) continue;
        removeTree(dir, [rootfsMountpoint(dir)]);
      } catch {
        /* another sweeper, or still busy: next time */
      }
    }
  }

  /** Resolves a full id, a name, or a unique id prefix (docker's order). */
  resolve(ref: string): string {
    // A full id is first in docker's order anyway: no need to read every container's config.
    if (/^[0-9a-f]{64}$/.test(ref) && fs.existsSync(path.join(this.containerDir(ref), 'container.json'))) return ref;
    const configs = this.ids()
      .map((id) => {
        try {
          return this.readConfig(id);
        } catch (e) {
          if (e instanceof FormatVersionError) throw e;
          return undefined;
        }
      })
      .filter((c): c is ContainerConfig => c !== undefined);
    return resolveContainer(
      ref,
      configs.map((c) => ({ id: c.id, name: c.name })),
    );
  }

  /**
   * Serialises state changes on one container between hako processes (a `stop` racing conmon's
   * exit command, say) and between the requests of one process (an API server). A lock file holding
   * the owner's pid (util/pidlock.ts); a dead owner's lock is taken over. Waiting yields the event
   * loop. Re-entrant within one call chain (AsyncLocalStorage), so a locked operation may call
   * another that locks; a concurrent request of the same process waits its turn instead.
   */
  async lock<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
    const held = heldLocks.getStore();
    if (held?.has(id)) return fn();
    const file = path.join(this.containerDir(id), 'lock');
    await acquirePidLockAsync(file, {
      timeoutMs: 15_000,
      maxPollMs: 5,
      missing: () => new HakoError(`no such container: ${id}`),
      busy: (owner) => new HakoError(`container ${id.slice(0, 12)} is locked by process ${owner}`),
    });
    try {
      return await heldLocks.run(new Set([...(held ?? []), id]), fn);
    } finally {
      releasePidLock(file);
    }
  }
}

/** docker's lookup order: exact id, exact name, then a unique id prefix. */
export function resolveContainer(ref: string, all: { id: string; name: string }[]): string {
  if (!ref) throw new HakoError('container name or id is required');
  const name = ref.startsWith('/') ? ref.slice(1) : ref;
  const exact = all.find((c) => c.id === ref) ?? all.find((c) => c.name === name);
  if (exact) return exact.id;
  if (/^[0-9a-f]+$/.test(ref)) {
    const hits = all.filter((c) => c.id.startsWith(ref));
    if (hits.length > 1) throw new HakoError(`multiple containers match id prefix "${ref}": use more characters`);
    if (hits.length === 1) return hits[0].id;
  }
  throw new HakoError(`no such container: ${ref}`);
}

export function writeJSON(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
  fs.renameSync(tmp, file);
}

function readJSON<T>(file: string, what: string, format: DocumentFormat): T {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HakoError(`no such container: ${what.replace(/^container /, '')}`);
    throw new HakoError(`${what}: unreadable ${path.basename(file)}: ${(e as Error).message}`);
  }
  return readVersioned<T>(doc, file, format);
}
