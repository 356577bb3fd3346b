// One file system step of a build (RUN, COPY, ADD, WORKDIR): an overlay of the stage's layers so far
// (the engine's own rootfs machinery, src/engine/rootfs.ts), the step's change made on it, the
// overlay unmounted, and its upper directory turned into the step's layer (layer.ts). RUN runs
// through hako's own runtime, in-process, as a container with the engine's defaults (capabilities,
// seccomp, masked paths) on that overlay.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { HakoError } from '../util/errors.js';
import { ROOTFS_MOUNTNS_ANNOTATION, type Runtime } from '../runtime/index.js';
import type { ContentStore } from '../storage/store/index.js';
import type { LayerInfo } from '../image/inspect.js';
import { prepareRootfs, releaseFuseRootfs, releaseRootfs, unmountRootfs } from '../engine/rootfs.js';
import { ensureFuseMounted, rootlessMountProgram, type FuseMount } from '../engine/rootfs-fuse.js';
import { buildSpec, type ImageProcessDefaults } from '../engine/spec.js';
import { applyRootless, isRootless, sharedPause, sharedUserns, userMaps } from '../engine/rootless.js';
import { MS_RDONLY, type MountOperation } from '../storage/rootfs.js';
import { parseRunArgs } from '../engine/flags.js';
import { removeTree } from '../storage/layers/worker.js';
import { layerFromUpper, type BuiltLayer } from './layer.js';
import { CONTAINER_FILE } from './prune.js';

export interface StepPlace {
  store: ContentStore;
  /** The build's private directory (<root>/build/<id>). */
  workDir: string;
}

/** Mounts an overlay of `layers`, lets `change` act on its root, returns the layer of the change
 *  (undefined when nothing changed). Nothing is left mounted or on disk, whatever happens. */
export async function fsStep(
  place: StepPlace,
  layers: LayerInfo[],
  change: (rootfs: string, dir: string) => Promise<Set<string> | undefined>,
): Promise<BuiltLayer | undefined> {
  const dir = path.join(place.workDir, `step-${crypto.randomBytes(4).toString('hex')}`);
  try {
    const { rootfs, inContainer } = await prepareRootfs(place.store, layers, dir);
    if (!fs.existsSync(path.join(dir, 'fs', 'upper')))
      throw new HakoError('build: needs overlayfs (this kernel has none), the copy fallback cannot record a step');
    // Rootless, the overlay is mounted only inside a RUN's container (runContainer): COPY and
    // WORKDIR write into the upper directory, which is what the overlay would do with new files.
    const skip = (await change(inContainer ? path.join(dir, 'fs', 'upper') : rootfs, dir)) ?? new Set<string>();
    unmountRootfs(dir);
    return await layerFromUpper(place.store, path.join(dir, 'fs', 'upper'), skip);
  } finally {
    try {
      releaseRootfs(dir);
    } finally {
      removeTree(dir);
    }
  }
}

/** Mounts an overlay of `layers` read-only in spirit (nothing writes to it) for `use`: the source of
 *  a `COPY --from`. Unmounted and removed afterwards. Rootless, nothing is mounted here: `mount` is
 *  the overlay each worker reading the root mounts for itself (src/native/modes.ts, PrivateMount). */
export async function withStageRoot<T>(place: StepPlace, layers: LayerInfo[], use: (rootfs: string, mount?: MountOperation) => Promise<T>): Promise<T> {
  const dir = path.join(place.workDir, `from-${crypto.randomBytes(4).toString('hex')}`);
  try {
    const { rootfs, inContainer, layerDirs } = await prepareRootfs(place.store, layers, dir);
    if (!inContainer) return await use(rootfs);
    // Several workers read the stage at once (the listing, the copy): an overlay of the layers
    // alone, read-only, which any number may mount; one layer is read as it is.
    if (layerDirs.length < 2) return await use(layerDirs[0] ?? rootfs);
    const lowers = /(?:^|,)lowerdir=([^,]*)/.exec(inContainer.data)![1];
    return await use(rootfs, { ...inContainer, flags: MS_RDONLY, data: `lowerdir=${lowers},userxattr` });
  } finally {
    try {
      releaseRootfs(dir);
    } finally {
      removeTree(dir);
    }
  }
}

/** A new empty private directory in the build's directory (ours: a trusted path). */
export function scratchDir(place: StepPlace, prefix: string): string {
  const dir = path.join(place.workDir, `${prefix}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

export interface RunRequest {
  args: string[];
  /** The image's process defaults at this step (Env, WorkingDir, User) plus ARG values in env. */
  image: ImageProcessDefaults;
  buildEnv: string[];
  network: 'host' | 'none';
  /** Each line of the step's output (stdout and stderr). */
  onLine(line: string): void;
}

/** RUN: the command as a container on the step's overlay; throws docker's words on a non-zero exit.
 *  Returns the container's mount points: their stubs in the upper dir are not the step's content. */
export async function runContainer(runtime: Runtime, rootfs: string, dir: string, req: RunRequest): Promise<Set<string>> {
  const id = `build-${crypto.randomBytes(6).toString('hex')}`;
  const opts = parseRunArgs(['build']);
  opts.env = req.buildEnv;
  const extra = req.network === 'host' ? networkFiles(dir) : [];
  // Rootless: `rootfs` is the step's upper directory; the container's root is the overlay's mount
  // point, mounted inside it, and the image's files are read from the layers (top first).
  const inContainer = isRootless() ? (JSON.parse(fs.readFileSync(path.join(dir, 'fs', 'mount.json'), 'utf8')) as MountOperation) : undefined;
  const lowers = /(?:^|,)lowerdir=([^,]*)/.exec(inContainer?.data ?? '')?.[1]?.split(':') ?? [];
  const spec = buildSpec({
    opts,
    image: req.image,
    args: req.args,
    hostname: id.slice(6, 18),
    rootfs: inContainer ? [rootfs, ...lowers] : rootfs,
    extraMounts: extra,
    netns: req.network === 'host' ? 'host' : 'new',
    cgroupsPath: `/hako/${id}`,
    devices: [],
  });
  // fuse-overlayfs (engine/rootfs-fuse.ts): the overlay mounted in the shared namespace's holder, which
  // the runtime enters; recorded first, so that releaseRootfs (here or by pruneStaleBuilds) ends it.
  const program = inContainer ? rootlessMountProgram() : undefined;
  if (inContainer && program) {
    const fuse: FuseMount = { ...inContainer, program };
    fs.writeFileSync(path.join(dir, 'fs', 'mount.json'), JSON.stringify(fuse));
    const holder = await sharedPause();
    ensureFuseMounted(fuse, holder);
    applyRootless(spec, userMaps(), undefined, holder.userns);
    spec.annotations = { ...spec.annotations, [ROOTFS_MOUNTNS_ANNOTATION]: holder.mntns };
  } else if (inContainer) applyRootless(spec, userMaps(), inContainer, await sharedUserns());
  fs.writeFileSync(path.join(dir, 'bundle', 'config.json'), JSON.stringify(spec));
  fs.writeFileSync(path.join(dir, CONTAINER_FILE), id); // for pruneStaleBuilds, should this process die
  const out = path.join(dir, 'output');
  const fd = fs.openSync(out, 'w', 0o600);
  const tail = new OutputTail(out, req.onLine);
  let code: number;
  try {
    code = await runtime.run(id, { bundle: path.join(dir, 'bundle'), stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
    tail.stop();
  }
  releaseFuseRootfs(dir); // the step's layer is read from upper/ next: the daemon must be done
  if (code !== 0) throw new HakoError(`process ${JSON.stringify(req.args.join(' '))} did not complete successfully: exit code: ${code}`);
  return new Set((spec.mounts ?? []).map((m) => m.destination.replace(/^\/+/, '')));
}

/** /etc/hosts and /etc/resolv.conf for a RUN on the host's network: copies, so nothing a step
 *  writes there reaches the host's files (and, being mounts, nothing reaches the layer). */
function networkFiles(dir: string) {
  const hosts = path.join(dir, 'hosts');
  const resolv = path.join(dir, 'resolv.conf');
  fs.writeFileSync(hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  let text = '';
  try {
    text = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* none on this host */
  }
  fs.writeFileSync(resolv, text);
  return [hosts, resolv].map((source) => ({ destination: `/etc/${path.basename(source)}`, type: 'bind', source, options: ['rbind', 'rprivate'] }));
}

/** Follows the step's output file while the step runs, line by line. */
class OutputTail {
  private readonly fd: number;
  private offset = 0;
  private partial = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    file: string,
    private readonly onLine: (line: string) => void,
  ) {
    this.fd = fs.openSync(file, 'r');
    this.timer = setInterval(() => this.poll(), 100);
  }

  private poll(): void {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      const text = this.partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop()!;
      for (const l of lines) this.onLine(l);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.poll();
    if (this.partial) this.onLine(this.partial);
    fs.closeSync(this.fd);
  }
}
