// `restore`: a checkpointed process tree back from its images through criu's RESTORE, as runc's
// Container.Restore: the bundle's root bind-mounted where criu wants a mount point, external
// mounts from the bundle (which may name other host paths than at dump), namespaces joined by path
// handed over (network and PID as inherited fds under the keys of the dump, others as join_ns),
// the new stdio in place of the pipes descriptors.json records, and the cgroup criu was placed in
// as the root of the restored cgroups. The restored process is criu's sibling: hako-init's child.
import fs from 'node:fs';
import path from 'node:path';
import { asHakoError, ConfigError, HakoError } from '../../util/errors.js';
import { CRIU_EXTRA_FD_FIRST, type CriuSwrk } from '../../native/criu-swrk.js';
import { makeMountpoints, mount, umount } from '../../native/modes.js';
import { MS_BIND, MS_REC } from '../../oci/names.js';
import type { Spec } from '../../oci/types.js';
import { DESCRIPTORS_FILE, externalNsKey, openDir } from './checkpoint.js';
import { mountpoints, restoreExtMounts, type CgroupBinds } from './mounts.js';
import { cgMode, criuConfigFile, criuPath, emptyNsMask, type RestoreOptions } from './options.js';
import { logPath, startSession } from './session.js';
import type { CriuOpts, CriuReq } from './rpc.js';

export interface RestoreTarget {
  spec: Spec;
  rootfs: string;
  /** The container's state directory: criu's root mount point is made in it. */
  stateDir: string;
  cgroups?: CgroupBinds;
  /** Places the helper (and so criu, and what it restores) in the container's cgroup. */
  place?(helperPid: number): void;
  /** criu's setup-namespaces: the process exists, namespaces are set up (prestart and
   *  createRuntime hooks run here, as runc runs them). */
  onNamespaces?(pid: number): Promise<void>;
}

export interface Restored {
  pid: number;
  /** The helper: it exits with criu's status, or (foreground) with the restored process's. */
  swrk: CriuSwrk;
}

export async function restoreContainer(t: RestoreTarget, opts: RestoreOptions): Promise<Restored> {
  const imageDir = path.resolve(opts.imagePath);
  const descriptors = readDescriptors(imageDir, opts.imagePath);
  const workDir = opts.workPath ? path.resolve(opts.workPath) : imageDir;
  if (opts.workPath) fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  makeMountpoints(t.rootfs, mountpoints(t.spec));
  const fds: number[] = [];
  const root = path.join(t.stateDir, 'criu-root');
  fs.mkdirSync(root, { mode: 0o755 });
  try {
    mount({ source: t.rootfs, target: root, fstype: '', flags: MS_BIND | MS_REC, data: '' });
    try {
      fds.push(openDir(imageDir, '--image-path'));
      if (opts.workPath) fds.push(openDir(workDir, '--work-path'));
      const req = restoreRequest(t, opts, root, descriptors, fds);
      return await converse(t, opts, req, fds, logPath(workDir, 'restore.log'));
    } finally {
      umount(root);
    }
  } finally {
    fs.rmdirSync(root);
    for (const fd of fds) fs.closeSync(fd);
  }
}

async function converse(t: RestoreTarget, opts: RestoreOptions, req: CriuReq, fds: number[], log: string): Promise<Restored> {
  const stdio = opts.stdio ?? ['inherit', 'inherit', 'inherit'];
  const { swrk, result } = startSession(req, {
    criu: criuPath(),
    stdio,
    extraFds: fds,
    consoleSocket: opts.consoleSocket,
    reap: !opts.detach,
    log,
    beforeRequest: (helperPid) => {
      t.place?.(helperPid);
      req.opts!.cg_root = cgroupRoots(helperPid);
    },
    onNotify: async (script, pid) => {
      if (script === 'setup-namespaces') await t.onNamespaces?.(pid);
    },
  });
  try {
    const resp = await result;
    if (!resp.restore?.pid) throw new HakoError('criu restore: no pid in its answer');
    return { pid: resp.restore.pid, swrk };
  } finally {
    swrk.end();
  }
}

function restoreRequest(t: RestoreTarget, opts: RestoreOptions, root: string, descriptors: string[], fds: number[]): CriuReq {
  const o: CriuOpts = {
    images_dir_fd: CRIU_EXTRA_FD_FIRST,
    ...(opts.workPath ? { work_dir_fd: CRIU_EXTRA_FD_FIRST + 1 } : {}),
    evasive_devices: true,
    log_level: 4,
    log_file: 'restore.log',
    rst_sibling: true,
    root,
    manage_cgroups: true,
    manage_cgroups_mode: cgMode(opts.manageCgroupsMode),
    notify_scripts: true,
    shell_job: !!opts.shellJob,
    ext_unix_sk: !!opts.extUnixSk,
    tcp_established: !!opts.tcpEstablished,
    file_locks: !!opts.fileLocks,
    empty_ns: emptyNsMask(opts.emptyNs),
    orphan_pts_master: true,
    auto_dedup: !!opts.autoDedup,
    ext_mnt: restoreExtMounts(t.spec, t.cgroups),
    inherit_fd: descriptors.flatMap((d, i) => (d.includes('pipe:') ? [{ key: d, fd: i }] : [])),
    join_ns: [],
  };
  const config = criuConfigFile(t.spec.annotations);
  if (config) o.config_file = config;
  for (const ns of t.spec.linux?.namespaces ?? []) {
    if (!ns.path) continue;
    if (ns.type === 'network' || ns.type === 'pid') {
      fds.push(openNamespace(ns.path, ns.type));
      o.inherit_fd!.push({ key: externalNsKey(ns.type), fd: CRIU_EXTRA_FD_FIRST + fds.length - 1 });
    } else if (ns.type === 'cgroup') {
      throw new ConfigError('linux.namespaces', 'a cgroup namespace joined by path cannot be restored (criu cannot join one; runc refuses it too)');
    } else o.join_ns!.push({ ns: ns.type === 'mount' ? 'mnt' : ns.type, ns_file: ns.path });
  }
  return { type: 'RESTORE', opts: o };
}

function openNamespace(p: string, type: string): number {
  try {
    return fs.openSync(p, fs.constants.O_RDONLY);
  } catch (e) {
    throw asHakoError(`linux.namespaces: the ${type} namespace ${p} must exist to restore into it`, e);
  }
}

/** criu's new cgroup roots: where the helper is now (the container's cgroup), per v1 hierarchy;
 *  on v2 one root for all. */
function cgroupRoots(pid: number): { ctrl?: string; path: string }[] {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return [];
  }
  const out: { ctrl?: string; path: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    out.push(m[1] ? { ctrl: m[1], path: m[2] } : { path: m[2] });
  }
  return out;
}

/** descriptors.json of the image directory: a missing or malformed one means no checkpoint there. */
function readDescriptors(imageDir: string, given: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(imageDir);
  } catch (e) {
    throw asHakoError(`--image-path ${given}`, e);
  }
  if (!st.isDirectory()) throw new HakoError(`--image-path ${given}: not a directory`);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(imageDir, DESCRIPTORS_FILE), 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HakoError(`--image-path ${given}: no checkpoint there (${DESCRIPTORS_FILE}: ${code === 'ENOENT' ? 'missing' : 'unreadable'})`);
  }
  if (!Array.isArray(doc) || doc.length > 64 || !doc.every((d) => typeof d === 'string' && d.length < 4096)) {
    throw new HakoError(`--image-path ${given}: ${DESCRIPTORS_FILE} is not a list of descriptor names`);
  }
  return doc as string[];
}
