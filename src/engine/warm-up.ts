// The engine's part of the snapshot warm-up (src/cli/main.ts; only dist/hako.blob has the engine):
// the pure steps of a `run` (its flags, the command, the network files, the OCI spec with Docker's
// default seccomp profile) once, so that they start as bytecode. Nothing is touched beyond a
// temporary directory; the runtime's warm-up runs this one and then empties the host caches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRunArgs } from './flags.js';
import { networkFiles } from './network.js';
import { buildSpec, combineCommand } from './spec.js';

export function warmUpEngineForSnapshot(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-warm-up-'));
  try {
    const opts = parseRunArgs(['--rm', '--network', 'none', '-e', 'A=1', 'hako.local/warm-up', 'true']);
    const image = { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['sh'] };
    const args = combineCommand(image, opts.entrypoint, opts.command);
    const extraMounts = networkFiles({ mode: 'none', names: [] }, path.join(dir, 'etc'), 'warm-up');
    const spec = buildSpec({
      opts, image, args, hostname: 'warm-up', rootfs: dir, extraMounts, netns: { path: path.join(dir, 'netns') },
      cgroupsPath: '/hako/warm-up', devices: [],
    });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
