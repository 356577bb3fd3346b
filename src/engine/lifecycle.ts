// `rename`, `pause`/`unpause` and `restart`, as docker's, over the Engine's store and runtime.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import type { Engine } from './engine.js';
import { needCgroup } from './rootless.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Renames a container: the new name is claimed first (names/<NEW>, as create does), then the
 *  config, then the old claim goes. */
export async function renameContainer(e: Engine, ref: string, newName: string): Promise<void> {
  const n = newName.replace(/^\//, '');
  if (!NAME_RE.test(n)) throw new HakoError(`invalid container name "${newName}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const id = e.store.resolve(ref);
  await e.store.lock(id, () => {
    const cfg = e.store.readConfig(id);
    if (cfg.name === n) throw new HakoError(`renaming a container with the same name as its current name`);
    const names = path.join(e.root, 'names');
    try {
      fs.writeFileSync(path.join(names, n), id, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = fs.readFileSync(path.join(names, n), 'utf8');
      if (fs.existsSync(path.join(e.store.containerDir(owner), 'container.json'))) {
        throw new HakoError(
          `the container name "/${n}" is already in use by container "${owner}": remove (or rename) that container to be able to reuse that name`,
        );
      }
      fs.writeFileSync(path.join(names, n), id); // a stale claim
    }
    const old = cfg.name;
    e.store.writeConfig({ ...cfg, name: n });
    e.event(id, 'rename', { oldName: `/${old}` });
    try {
      if (fs.readFileSync(path.join(names, old), 'utf8') === id) fs.rmSync(path.join(names, old), { force: true });
    } catch {
      /* no claim */
    }
  });
}

/** Freezes every process of a running container (the cgroup freezer); `paused` in its state. */
export async function pauseContainer(e: Engine, ref: string): Promise<void> {
  const id = e.store.resolve(ref);
  needCgroup('pause');
  await e.store.lock(id, async () => {
    const st = await e.refresh(id);
    if (st.status !== 'running') throw new HakoError(`container ${id} is not running`);
    if (st.paused) throw new HakoError(`container ${id} is already paused`);
    await (await e.runtimeFor(id)).pause(id); // the container's own runtime: runc's freezer state is runc's
    e.store.writeState(id, { ...e.store.readState(id), paused: true });
    e.event(id, 'pause');
  });
}

export async function unpauseContainer(e: Engine, ref: string): Promise<void> {
  const id = e.store.resolve(ref);
  needCgroup('unpause');
  await e.store.lock(id, async () => {
    const st = await e.refresh(id);
    if (st.status !== 'running' || !st.paused) throw new HakoError(`container ${id} is not paused`);
    await (await e.runtimeFor(id)).resume(id);
    e.store.writeState(id, { ...e.store.readState(id), paused: false });
    e.event(id, 'unpause');
  });
}

/** docker restart: stop (with the timeout and signal), then start again. */
export async function restartContainer(e: Engine, ref: string, timeout?: number, signal?: string): Promise<void> {
  const id = await e.stop(ref, timeout, signal);
  await e.start(id);
  e.event(id, 'restart');
}
