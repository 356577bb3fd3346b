// User namespaces made by hako-init and mapped from here: the maps of a container's namespace (the
// runtime, at hako-init's `sync userns`) and the rootless engine's namespace for tool modes
// (`hako-init userns-hold`, native/userns.c). hako-init only unshares; which ids a namespace maps is
// decided in TypeScript and written as podman and rootlesskit write it: newuidmap/newgidmap (Debian's
// uidmap, setuid root, checking /etc/subuid and /etc/subgid) with the namespace's pid.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { HakoError } from '../util/errors.js';
import type { IdMapping } from '../oci/types.js';
import { findHelper } from './find.js';

const execFileAsync = promisify(execFile);

/** Writes a new user namespace's maps from outside it. As root, directly; otherwise a lone mapping
 *  of our own ids needs no helper (setgroups denied first, as the kernel demands), and anything
 *  more goes through newuidmap/newgidmap, which grant only what /etc/subuid and /etc/subgid list. */
export async function writeIdMaps(pid: number, uid: IdMapping[], gid: IdMapping[]): Promise<void> {
  const line = (m: IdMapping[]) => m.map((x) => `${x.containerID} ${x.hostID} ${x.size}`).join('\n');
  if (process.getuid!() === 0) {
    fs.writeFileSync(`/proc/${pid}/uid_map`, line(uid));
    fs.writeFileSync(`/proc/${pid}/gid_map`, line(gid));
    return;
  }
  const selfOnly = (m: IdMapping[], own: number) => m.length === 1 && m[0].size === 1 && m[0].hostID === own;
  if (selfOnly(uid, process.getuid!()) && selfOnly(gid, process.getgid!())) {
    fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    fs.writeFileSync(`/proc/${pid}/uid_map`, line(uid));
    fs.writeFileSync(`/proc/${pid}/gid_map`, line(gid));
    return;
  }
  const args = (m: IdMapping[]) => [String(pid), ...m.flatMap((x) => [String(x.containerID), String(x.hostID), String(x.size)])];
  for (const [tool, maps] of [
    ['newuidmap', uid],
    ['newgidmap', gid],
  ] as const) {
    try {
      await execFileAsync(tool, args(maps));
    } catch (e) {
      const err = e as { stderr?: string; message: string; code?: string };
      if (err.code === 'ENOENT') throw new HakoError(`user namespace maps: ${tool} is not installed (Debian package uidmap)`);
      throw new HakoError(`user namespace maps: ${err.stderr?.toString().trim() || err.message}`);
    }
  }
}

/** Starts `hako-init MODE` (a user namespace maker) and waits for its first line: `ready` once it
 *  has unshared. On anything else it is killed and the error is one line with its stderr. */
async function spawnUnshared(mode: 'userns-hold' | 'userns-pause', detached: boolean): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(findHelper(), [mode], { stdio: ['pipe', 'pipe', 'pipe'], detached });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().startsWith('ready')));
    child.once('error', () => resolve(false));
    child.once('close', () => resolve(false));
  });
  if (!ready) {
    child.stdin.end();
    child.kill('SIGKILL');
    throw new HakoError(`the rootless user namespace: ${stderr.trim().replace(/^hako-init: /, '') || `hako-init ${mode} ended early`}`);
  }
  return child;
}

/** A user namespace held by `hako-init userns-hold` for tool modes (`--userns=PATH`). It ends when
 *  `close()` ends the holder's stdin, or with this process (the holder's parent-death signal). */
export class UsernsHolder {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    /** /proc/PID/ns/user of the holder: what `hako-init --userns=` joins. */
    readonly path: string,
  ) {}

  /** Starts a holder and maps it: `maps` are the ids it holds (container view -> host ids). */
  static async start(uid: IdMapping[], gid: IdMapping[]): Promise<UsernsHolder> {
    const child = await spawnUnshared('userns-hold', false);
    const holder = new UsernsHolder(child, `/proc/${child.pid}/ns/user`);
    try {
      await writeIdMaps(child.pid!, uid, gid);
    } catch (e) {
      holder.close();
      throw e;
    }
    // Not a reason for Node to stay: the holder goes with us.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr] as unknown as { unref?(): void }[]) s.unref?.();
    return holder;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill('SIGKILL');
  }
}

/** A user namespace being made by `hako-init userns-pause` (the user's shared namespace, podman's
 *  pause process): mapped here, then told to stay (`go`) once its pid is recorded. It runs in a
 *  session of its own and outlives this process. */
export class PauseStarter {
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts it and writes its maps; on a failure it is killed and the error is one line. */
  static async start(uid: IdMapping[], gid: IdMapping[]): Promise<PauseStarter> {
    const child = await spawnUnshared('userns-pause', true);
    const starter = new PauseStarter(child);
    try {
      await writeIdMaps(child.pid!, uid, gid);
    } catch (e) {
      starter.abandon();
      throw e;
    }
    return starter;
  }

  /** Tells it to stay, and waits for its network namespace: from now on it holds both until killed. */
  async go(): Promise<void> {
    const done = new Promise<boolean>((resolve) => {
      this.child.stdout.once('data', (d: Buffer) => resolve(d.toString().startsWith('done')));
      this.child.once('close', () => resolve(false));
    });
    this.child.stdin.end('go\n');
    if (!(await done)) {
      this.abandon();
      throw new HakoError('the rootless user namespace: hako-init userns-pause could not make its network namespace');
    }
    this.child.unref();
    for (const s of [this.child.stdout, this.child.stderr] as unknown as { unref?(): void; destroy?(): void }[]) {
      s.unref?.();
      s.destroy?.();
    }
  }

  /** Ends it (its namespace was never recorded). */
  abandon(): void {
    this.child.stdin.end();
    this.child.kill('SIGKILL');
  }
}
