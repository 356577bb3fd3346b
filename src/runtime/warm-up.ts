// Runs the pure part of a container create once while the start-up snapshot is built (src/cli/
// main.ts), so that the functions on that path are in the snapshot as bytecode instead of being
// compiled at every start. Nothing here touches the system beyond a temporary bundle. The caches the
// warm-ups fill that describe the host (the kernel's last capability) are emptied again once all of
// them ran, the engine's (`more`) included: the snapshot must not carry the build machine's answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBundle } from './bundle.js';
import { compilePlan } from './plan/compile.js';
import { encodePlan } from './plan/encode.js';
import { defaultSpec } from './spec/default.js';
import { forgetLastCap } from './spec/names.js';
import { StateDir, statusOf, type ContainerRecord } from './state.js';
import { cachedSeccompFilter, compileSeccomp, defaultSeccompProfile } from './seccomp/index.js';

export function warmUpForSnapshot(more: Array<() => void> = []): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-warm-up-'));
  try {
    fs.mkdirSync(path.join(dir, 'rootfs'));
    const spec = { ...defaultSpec(), root: { path: 'rootfs' } };
    // Twice: as `runtime run` bundles usually come (no seccomp), and as the engine's do, with
    // Docker's default profile, whose filter is looked up in a (here empty) cache.
    for (const seccomp of [undefined, defaultSeccompProfile()]) {
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...spec, linux: { ...spec.linux, seccomp } }));
      for (const forkMode of ['wait', 'exit'] as const) {
        const bundle = loadBundle(dir);
        const profile = bundle.spec.linux?.seccomp;
        const seccompProfile = profile && cachedSeccompFilter(compileSeccomp(profile), path.join(dir, 'seccomp'), () => Buffer.alloc(0));
        encodePlan(compilePlan(bundle.spec, { rootfs: bundle.rootfs, bundle: bundle.dir, fifo: path.join(dir, 'exec.fifo'), forkMode, console: '@relay', seccompProfile }));
      }
    }
    // The state directory's round trip, in a state root of its own.
    const states = new StateDir(path.join(dir, 'state'));
    const rec: ContainerRecord = { id: 'warm-up', bundle: dir, pid: 0, pidStartTime: '', created: new Date().toISOString(), status: 'creating', ownPidNamespace: true };
    states.claim(rec.id);
    states.write(rec);
    states.lock(rec.id, () => statusOf(states, states.read(rec.id)));
    states.remove(rec.id);
    for (const warmUp of more) warmUp();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    forgetLastCap();
  }
}
