// runc's `exec --cgroup`: the new process joins a sub-cgroup of the container's own instead of the
// container's cgroup itself. `--cgroup PATH` names it for every hierarchy, `--cgroup
// CONTROLLER[,CONTROLLER…]:PATH` for those controllers' hierarchies only (cgroup v1; v2 has one
// hierarchy, so only PATH). The sub-cgroup must already exist, below the container's: the caller
// made it, hako neither creates one nor lets a path leave the container's cgroup.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CGROUP_ROOT } from '../cgroups/index.js';
import type { Cgroup } from '../cgroups/types.js';
import { HakoError } from '../util/errors.js';

/** The --cgroup flags as a map from controller ('' for all of them) to a path relative to the
 *  container's cgroup ('' for that cgroup itself). Read as runc reads them: the path is joined onto
 *  the container's cgroup (path.Join), so a leading "/" stays below it and ".." may be used while
 *  the result stays inside; a path without a controller must be the only flag. */
export function parseSubCgroups(flags: string[]): Map<string, string> {
  const subs = new Map<string, string>();
  for (const flag of flags) {
    const colon = flag.indexOf(':');
    const controllers = colon < 0 ? [''] : flag.slice(0, colon).split(',');
    const sub = colon < 0 ? flag : flag.slice(colon + 1);
    if (controllers.some((c) => !/^[\w=.-]*$/.test(c)) || (colon >= 0 && controllers.includes('')) || sub.includes(':')) {
      throw new HakoError(`exec: --cgroup ${flag}: expects PATH or CONTROLLER[,CONTROLLER]:PATH`);
    }
    if (colon < 0 && flags.length > 1) throw new HakoError(`exec: --cgroup ${flag}: a path without a controller must be the only --cgroup`);
    // Unlike runc's string-prefix check, a sibling such as "../c1x" of cgroup "c1" is refused too.
    const joined = path.posix.join('/c', sub);
    if (sub.includes('\0') || (joined !== '/c' && !joined.startsWith('/c/'))) {
      throw new HakoError(`exec: --cgroup ${flag}: the path must stay inside the container's cgroup`);
    }
    for (const c of controllers) {
      if (subs.has(c)) throw new HakoError(`exec: --cgroup ${flag}: ${c ? `controller ${c}` : 'the path'} is given twice`);
      subs.set(c, joined.slice('/c/'.length).replace(/\/$/, ''));
    }
  }
  return subs;
}

/** The directories the process joins, one per hierarchy: the sub-cgroup where one was named for a
 *  controller of that hierarchy (or for all), the container's own cgroup elsewhere. Every one must
 *  exist now, so nothing runs when the caller named a sub-cgroup that is not there. */
export function subCgroupDirs(cgroup: Cgroup, subs: Map<string, string>, flags: string[]): string[] {
  const dirs = cgroup.dirs();
  if (cgroup.version === 2 && [...subs.keys()].some((c) => c !== '')) {
    throw new HakoError(`exec: --cgroup ${flags.join(' ')}: cgroup v2 has one hierarchy: give the path alone, without a controller`);
  }
  for (const c of subs.keys()) {
    if (c !== '' && !(c in dirs)) throw new HakoError(`exec: --cgroup ${c}:${subs.get(c)}: controller ${c} is not a hierarchy of the container's cgroup`);
  }
  // Hierarchies shared by controllers (cpu,cpuacct) are one directory: one sub-cgroup each.
  const byDir = new Map<string, string | undefined>();
  for (const [controller, dir] of Object.entries(dirs)) {
    // A hierarchy the container is not in (hako joins some best effort) has nothing to go below,
    // unless the caller named its controller.
    if (!subs.has(controller) && !fs.existsSync(dir)) continue;
    const sub = subs.get(controller) ?? subs.get('');
    const prev = byDir.get(dir);
    if (prev !== undefined && sub !== undefined && prev !== sub) {
      throw new HakoError(`exec: --cgroup: two paths for the hierarchy of ${controller} (${prev}, ${sub})`);
    }
    if (prev === undefined) byDir.set(dir, sub);
  }
  const out: string[] = [];
  for (const [dir, sub] of byDir) {
    if (sub === undefined) continue;
    const target = path.join(dir, sub);
    if (target !== dir && !target.startsWith(`${dir}/`)) throw new HakoError(`exec: --cgroup ${sub}: leaves the container's cgroup`);
    let isDir = false;
    try {
      isDir = fs.lstatSync(target).isDirectory();
    } catch {
      /* missing */
    }
    if (!isDir) throw new HakoError(`exec: --cgroup ${sub}: sub-cgroup ${target} does not exist`);
    out.push(target);
  }
  // Hybrid v1 hosts: hako puts the container in the controller-less cgroup2 hierarchy too, best
  // effort (cgroups/v1.ts); a sub-cgroup there is joined when the caller made one.
  const unified = `${DEFAULT_CGROUP_ROOT}/unified${cgroup.path}`;
  const all = subs.get('');
  if (cgroup.version === 1 && all !== undefined && fs.existsSync(path.join(unified, all, 'cgroup.procs'))) out.push(path.join(unified, all));
  return out;
}

/** Moves `pid` into the cgroup directory `dir` (one hierarchy). */
export function joinCgroupDir(dir: string, pid: number): void {
  try {
    fs.writeFileSync(`${dir}/cgroup.procs`, String(pid));
  } catch (e) {
    throw new HakoError(`exec: --cgroup: cannot join ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
