// `checkpoint`: the container's process tree to images through criu's DUMP (or PRE_DUMP), as
// runc's Container.Checkpoint: its root, its external mounts, an external network (and PID)
// namespace joined by path, the cgroup freezer, and descriptors.json (what the process's stdio was,
// so a restore can give it new pipes in their place).
import fs from 'node:fs';
import path from 'node:path';
import { asHakoError, HakoError } from '../../util/errors.js';
import { CRIU_EXTRA_FD_FIRST } from '../../native/criu-swrk.js';
import type { Spec } from '../../oci/types.js';
import { dumpExtMounts, type CgroupBinds } from './mounts.js';
import { cgMode, criuConfigFile, criuPath, emptyNsMask, type CheckpointOptions } from './options.js';
import { logPath, startSession } from './session.js';
import type { CriuOpts } from './rpc.js';

export interface DumpTarget {
  pid: number;
  spec: Spec;
  rootfs: string;
  /** The cgroup directory criu freezes the tree with (v1 freezer, or the v2 cgroup). */
  freezeCgroup?: string;
  cgroups?: CgroupBinds;
  annotations?: Record<string, string>;
}

export const DESCRIPTORS_FILE = 'descriptors.json';

export async function dumpContainer(target: DumpTarget, opts: CheckpointOptions): Promise<void> {
  const imageDir = makeDir(opts.imagePath, '--image-path');
  const workDir = opts.workPath ? makeDir(opts.workPath, '--work-path') : imageDir;
  if (opts.parentPath) checkParent(imageDir, opts.parentPath);
  const fds: number[] = [];
  try {
    fds.push(openDir(imageDir, '--image-path'));
    if (workDir !== imageDir) fds.push(openDir(workDir, '--work-path'));
    const req = dumpRequest(target, opts, workDir !== imageDir);
    if (!opts.preDump) fs.writeFileSync(path.join(imageDir, DESCRIPTORS_FILE), JSON.stringify(stdioLinks(target.pid)));
    const log = logPath(workDir, opts.preDump ? 'predump.log' : 'dump.log');
    const { swrk, result } = startSession(req, { criu: criuPath(), extraFds: fds, log });
    try {
      await result;
    } finally {
      swrk.end();
      await swrk.exited;
    }
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

function dumpRequest(t: DumpTarget, opts: CheckpointOptions, ownWorkDir: boolean) {
  const criuOpts: CriuOpts = {
    images_dir_fd: CRIU_EXTRA_FD_FIRST,
    ...(ownWorkDir ? { work_dir_fd: CRIU_EXTRA_FD_FIRST + 1 } : {}),
    log_level: 4,
    log_file: opts.preDump ? 'predump.log' : 'dump.log',
    root: t.rootfs,
    manage_cgroups: true,
    manage_cgroups_mode: cgMode(opts.manageCgroupsMode),
    notify_scripts: true,
    pid: t.pid,
    shell_job: !!opts.shellJob,
    leave_running: !!opts.leaveRunning,
    tcp_established: !!opts.tcpEstablished,
    tcp_skip_in_flight: !!opts.tcpSkipInFlight,
    link_remap: !!opts.linkRemap,
    ext_unix_sk: !!opts.extUnixSk,
    file_locks: !!opts.fileLocks,
    empty_ns: emptyNsMask(opts.emptyNs),
    orphan_pts_master: true,
    auto_dedup: !!opts.autoDedup,
    external: externalNamespaces(t.spec),
  };
  const config = criuConfigFile(t.annotations);
  if (config) criuOpts.config_file = config;
  if (t.freezeCgroup) criuOpts.freeze_cgroup = t.freezeCgroup;
  if (opts.parentPath) Object.assign(criuOpts, { parent_img: opts.parentPath, track_mem: true });
  if (opts.preDump) return { type: 'PRE_DUMP' as const, opts: criuOpts };
  criuOpts.ext_mnt = dumpExtMounts(t.spec, t.cgroups, maskedFiles(t.pid, t.spec));
  return { type: 'DUMP' as const, opts: criuOpts };
}

/** A network or PID namespace joined by path is not the container's to dump: criu records it as
 *  external (`net[INODE]:extRootNetNS`), and a restore hands the namespace back under that key. */
function externalNamespaces(spec: Spec): string[] {
  const out: string[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path || (ns.type !== 'network' && ns.type !== 'pid')) continue;
    const kind = ns.type === 'network' ? 'net' : 'pid';
    let ino: number;
    try {
      ino = fs.statSync(ns.path).ino;
    } catch (e) {
      throw asHakoError(`linux.namespaces: ${ns.type} namespace ${ns.path}`, e);
    }
    out.push(`${kind}[${ino}]:${externalNsKey(ns.type)}`);
  }
  return out;
}

export function externalNsKey(type: 'network' | 'pid'): string {
  return type === 'network' ? 'extRootNetNS' : 'extRootPidNS';
}

/** Masked paths that are files (bound over with /dev/null); directories get a tmpfs criu dumps. */
function maskedFiles(pid: number, spec: Spec): string[] {
  return (spec.linux?.maskedPaths ?? []).filter((p) => {
    try {
      return !fs.lstatSync(`/proc/${pid}/root${p}`).isDirectory();
    } catch {
      return false;
    }
  });
}

/** What fds 0-2 of the process are (`pipe:[123]`, `/dev/null`, …), runc's descriptors.json. */
function stdioLinks(pid: number): string[] {
  return [0, 1, 2].map((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  });
}

function makeDir(dir: string, flag: string): string {
  const abs = path.resolve(dir);
  try {
    fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw asHakoError(`${flag} ${dir}`, e);
  }
  return abs;
}

function openDir(dir: string, flag: string): number {
  try {
    return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    throw asHakoError(`${flag} ${dir}`, e);
  }
}

/** --parent-path: relative to the image directory, and a directory there (runc's rule). */
function checkParent(imageDir: string, parent: string): void {
  if (path.isAbsolute(parent)) throw new HakoError(`--parent-path ${parent}: must be relative (to --image-path)`);
  let st: fs.Stats;
  try {
    st = fs.statSync(path.join(imageDir, parent));
  } catch (e) {
    throw asHakoError(`--parent-path ${parent}`, e);
  }
  if (!st.isDirectory()) throw new HakoError(`--parent-path ${parent}: not a directory`);
}

export { openDir };
