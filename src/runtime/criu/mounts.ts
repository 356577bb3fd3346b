// The container's mounts that come from outside its root (bind mounts, device nodes bound from
// the host, /dev/null over masked files, cgroup directories bound without a cgroup namespace):
// criu cannot dump what they are, so they are named as external (ext_mnt), key = where in the
// container. At dump the value is the key again (a name for the image); at restore it is the host
// path to bind there, from the bundle being restored, which may differ (a new name, a new host).
// As runc's addCriuDumpMount / addCriuRestoreMount.
import fs from 'node:fs';
import path from 'node:path';
import type { Mount, Spec } from '../../oci/types.js';

export interface CgroupBinds {
  version: 1 | 2;
  /** The container's cgroup directories on the host: '' for v2, per v1 hierarchy directory. */
  hostDirs: Record<string, string>;
}

const DEFAULT_DEVICE_PATHS = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'];

function isBind(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/** Destinations as criu sees them: absolute, clean, inside the root. */
function inRoot(dest: string): string {
  const p = path.posix.normalize(`/${dest}`);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** [container path, host source] of every external mount of `spec`. */
export function externalMounts(spec: Spec, cgroups: CgroupBinds | undefined): [string, string][] {
  const out: [string, string][] = [];
  const ownCgroupNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
  for (const m of spec.mounts ?? []) {
    if (m.type === 'cgroup' || m.type === 'cgroup2') {
      if (ownCgroupNs || !cgroups) continue; // a real cgroup mount: criu dumps it itself
      const dest = inRoot(m.destination);
      if (cgroups.version === 2) out.push([dest, cgroups.hostDirs[''] ?? '']);
      else for (const [dir, host] of Object.entries(cgroups.hostDirs)) out.push([`${dest}/${dir}`, host]);
      continue;
    }
    if (isBind(m) && m.source) out.push([inRoot(m.destination), m.source]);
  }
  if (spec.linux?.maskedPaths?.length) out.push(['/dev/null', '/dev/null']);
  for (const p of [...DEFAULT_DEVICE_PATHS, ...(spec.linux?.devices ?? []).map((d) => d.path)]) out.push([inRoot(p), p]);
  return out;
}

export function dumpExtMounts(spec: Spec, cgroups: CgroupBinds | undefined, maskedFiles: string[]): { key: string; val: string }[] {
  const byKey = new Map<string, string>();
  for (const [dest] of externalMounts(spec, cgroups)) byKey.set(dest, dest);
  for (const p of maskedFiles) byKey.set(inRoot(p), '/dev/null');
  return [...byKey].map(([key, val]) => ({ key, val }));
}

export function restoreExtMounts(spec: Spec, cgroups: CgroupBinds | undefined): { key: string; val: string }[] {
  return [...new Map(externalMounts(spec, cgroups))].map(([key, val]) => ({ key, val }));
}

/**
 * The mount targets a restore needs in the root: criu mounts onto them but makes none, and a root
 * that never ran this container (an imported checkpoint, another host) lacks those the runtime
 * made at create (runc's prepareCriuRestoreMounts). A bind's target is a file when its source is;
 * targets beneath another mount that is not a bind (a tmpfs, /proc, /sys) are that mount's, which
 * criu restores itself.
 */
export function mountpoints(spec: Spec): { path: string; kind: 'dir' | 'file' }[] {
  const mounts = spec.mounts ?? [];
  const virtual = mounts.filter((m) => !isBind(m)).map((m) => inRoot(m.destination));
  const beneath = (dest: string) => virtual.some((v) => v !== '/' && dest.startsWith(`${v}/`));
  const out: { path: string; kind: 'dir' | 'file' }[] = [];
  for (const m of mounts) {
    const dest = inRoot(m.destination);
    if (dest === '/' || m.type === 'cgroup' || m.type === 'cgroup2' || beneath(dest)) continue;
    let kind: 'dir' | 'file' = 'dir';
    if (isBind(m) && m.source) {
      try {
        kind = fs.statSync(m.source).isDirectory() ? 'dir' : 'file';
      } catch {
        /* a missing source: criu says so, naming it */
      }
    }
    out.push({ path: dest, kind });
  }
  return out;
}
