// The user's shared user namespace, as podman's pause process holds it: one namespace with the
// user's maps (rootless.ts userMaps), held by `hako-init userns-pause` (native/userns.c), made on a
// command's first need and joined by every later command's tool modes and by every container
// (`{type: user, path: /proc/PID/ns/user}`). One namespace is what lets a container join another's
// network namespace (`--network container:`): a namespace can only be joined by a process with
// privileges in the user namespace that owns it.
// Files in <runtime dir> ($XDG_RUNTIME_DIR/hako, else /tmp/hako-$UID):
//   pause.pid     "PID STARTTIME" of the holder; a pid that is gone or reused means none (kill -9)
//   pause.lock    the pidlock around making, joining and ending it
//   pause.users/  one file per hako process using it now (its pid and start time)
// Unlike podman's, the holder does not stay forever: the last command that finds no container
// process and no other hako command in the namespace ends it (releasePause), so nothing of the
// user runs when nothing of hako does.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { acquirePidLock, acquirePidLockAsync, releasePidLock } from '../util/pidlock.js';
import { procStat } from '../util/proc.js';
import { trace } from '../util/trace.js';
import { PauseStarter } from '../native/userns.js';
import { defaultRoot, ensureFallbackRoot, fallbackRoot } from '../runtime/root.js';
import type { IdMapping } from '../oci/types.js';
import { stopNetnsTool } from './rootless-netns.js';

export interface Pause {
  pid: number;
  /** /proc/PID/ns/user: what containers and `hako-init --userns=` join. */
  userns: string;
  /** /proc/PID/ns/net: the rootless network namespace, where user networks' bridges are. */
  netns: string;
  /** /proc/PID/ns/mnt: its mount namespace, where fuse-overlayfs mounts containers' roots. */
  mntns: string;
}

const held = (pid: number): Pause => ({ pid, userns: `/proc/${pid}/ns/user`, netns: `/proc/${pid}/ns/net`, mntns: `/proc/${pid}/ns/mnt` });

const LOCK_MS = 30_000;

/** <runtime dir>: where the holder's files are (and the rootless network namespace's tool's). */
export function pauseDir(onNote?: (message: string) => void): string {
  const base = defaultRoot(onNote);
  if (base === fallbackRoot()) ensureFallbackRoot();
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  return base;
}

const files = (dir: string) => ({ pid: path.join(dir, 'pause.pid'), lock: path.join(dir, 'pause.lock'), users: path.join(dir, 'pause.users') });

/** The recorded holder if it is still that process (same start time, alive), else undefined. */
export function readPause(dir = pauseDir()): Pause | undefined {
  let text: string;
  try {
    text = fs.readFileSync(files(dir).pid, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, start] = text.trim().split(' ');
  const n = Number(pid);
  const st = Number.isSafeInteger(n) && n > 1 ? procStat(n) : undefined;
  // Killed but not yet reaped (a zombie has no namespaces left to join) counts as gone.
  if (!st || st.startTime !== start || st.state === 'Z' || st.state === 'X') return undefined;
  return held(n);
}

const self = () => `${process.pid} ${procStat(process.pid)?.startTime ?? ''}`;

/** The shared namespace, made if there is none (or its holder was killed), with this process
 *  registered as a user of it until releasePause. */
export async function ensurePause(maps: { uidMappings: IdMapping[]; gidMappings: IdMapping[] }, onNote?: (message: string) => void): Promise<Pause> {
  const dir = pauseDir(onNote);
  const f = files(dir);
  await acquirePidLockAsync(f.lock, { timeoutMs: LOCK_MS });
  try {
    fs.mkdirSync(f.users, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(f.users, String(process.pid)), self());
    const cur = readPause(dir);
    if (cur) return cur;
    const starter = await PauseStarter.start(maps.uidMappings, maps.gidMappings);
    try {
      const tmp = `${f.pid}.${process.pid}`;
      fs.writeFileSync(tmp, `${starter.pid} ${procStat(starter.pid)?.startTime ?? ''}\n`, { mode: 0o600 });
      fs.renameSync(tmp, f.pid);
    } catch (e) {
      starter.abandon();
      throw new HakoError(`the rootless user namespace: cannot record it in ${f.pid}: ${(e as Error).message}`);
    }
    await starter.go();
    return held(starter.pid);
  } finally {
    releasePidLock(f.lock);
  }
}

/** A process other than the holder in its user namespace (a container's), or undefined. */
function namespaceInUse(p: Pause): string | undefined {
  let ns: string;
  try {
    ns = fs.readlinkSync(p.userns);
  } catch {
    return undefined;
  }
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === p.pid) continue;
    try {
      // A zombie keeps its credentials (and so its user namespace) until it is reaped.
      if (fs.readlinkSync(`/proc/${e}/ns/user`) === ns && !toolMode(e) && procStat(Number(e))?.state !== 'Z') return e;
    } catch {
      /* gone, or not ours to look at (then not in our namespace either) */
    }
  }
  return undefined;
}

/** A hako-init tool mode that joined the namespace (`--userns=…`: a detached netlink deleting a
 *  veth, say): it holds the namespaces it joined itself, and needs no holder. */
function toolMode(pid: string): boolean {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return path.basename(argv[0]) === 'hako-init' && (argv[1] ?? '').startsWith('--userns=');
}

/** Another live hako process registered as a user (a file of a dead one is removed). */
function otherUsers(usersDir: string): boolean {
  let any = false;
  for (const e of fs.existsSync(usersDir) ? fs.readdirSync(usersDir) : []) {
    if (e === String(process.pid)) continue;
    const file = path.join(usersDir, e);
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    const [pid, start] = text.split(' ');
    if (procStat(Number(pid))?.startTime === start) any = true;
    else fs.rmSync(file, { force: true });
  }
  return any;
}

/** This process is done with the namespace; when nothing else uses it (no container process, no
 *  other hako command), the holder is ended and its files removed. Synchronous: run at exit. */
export function releasePause(): void {
  let dir: string;
  try {
    dir = pauseDir();
  } catch {
    return;
  }
  const f = files(dir);
  if (!fs.existsSync(path.join(f.users, String(process.pid)))) return;
  acquirePidLock(f.lock, { timeoutMs: LOCK_MS });
  try {
    fs.rmSync(path.join(f.users, String(process.pid)), { force: true });
    if (otherUsers(f.users)) {
      trace('rootless namespace kept: another hako uses it');
      return;
    }
    const p = readPause(dir);
    const user = p && namespaceInUse(p);
    if (user) {
      trace(`rootless namespace kept: pid ${user} is in it`);
      return;
    }
    trace('rootless namespace ended');
    stopNetnsTool(dir);
    if (p) process.kill(p.pid, 'SIGKILL');
    fs.rmSync(f.pid, { force: true });
    fs.rmSync(f.users, { recursive: true, force: true });
  } finally {
    releasePidLock(f.lock);
  }
}
