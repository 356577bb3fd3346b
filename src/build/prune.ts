// What a build killed on the way (SIGKILL, a crash) leaves: its directory <root>/build/<pid>-<id>
// with a step's overlay still mounted and maybe a RUN container still running. The next build
// takes it down: the container (its id is kept in the step directory) is killed and deleted
// through the runtime, the overlay unmounted, the directory removed without following a symlink.
import fs from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../runtime/index.js';
import { releaseRootfs } from '../engine/rootfs.js';
import { removeTree } from '../storage/layers/worker.js';
import { processAlive } from '../util/proc.js';

/** The file in a step directory naming its RUN container. */
export const CONTAINER_FILE = 'container-id';

/** `<pid>-context-<hex>`: a context tar unpacked by context-tar.ts. */
export const CONTEXT_DIR = /^\d+-context-/;

export async function pruneStaleBuilds(buildRoot: string, runtime: Runtime): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(buildRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!pid || processAlive(pid)) continue;
    const dir = path.join(buildRoot, name);
    try {
      // An unpacked context tar (context-tar.ts): the sender's files, never read for container ids.
      if (CONTEXT_DIR.test(name)) {
        removeTree(dir);
        continue;
      }
      for (const step of fs.readdirSync(dir)) await releaseStep(path.join(dir, step), runtime);
      removeTree(dir);
    } catch (e) {
      process.stderr.write(`hako: warning: removing the stale build ${dir}: ${(e as Error).message}\n`);
    }
  }
}

async function releaseStep(stepDir: string, runtime: Runtime): Promise<void> {
  let id: string | undefined;
  try {
    id = fs.readFileSync(path.join(stepDir, CONTAINER_FILE), 'utf8').trim();
  } catch {
    /* no RUN here */
  }
  if (id) {
    try {
      await runtime.delete(id, { force: true });
    } catch {
      /* already gone */
    }
  }
  releaseRootfs(stepDir);
}
