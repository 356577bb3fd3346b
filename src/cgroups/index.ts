// Entry point of the cgroup drivers: detect the host layout, resolve a config's cgroupsPath and open
// a Cgroup handle (v1.ts for v1 and hybrid hosts, v2.ts for the unified hierarchy).
import path from 'node:path';
import { ConfigError, HakoError } from '../util/errors.js';
import { realIo } from './io.js';
import { detectLayout, DEFAULT_CGROUP_ROOT } from './layout.js';
import type { Cgroup, OpenOptions } from './types.js';
import { defaultWarn } from './types.js';
import { V1Cgroup, discoverV1Hierarchies } from './v1.js';
import { V2Cgroup } from './v2.js';

export type { BlkioDeviceStats, Cgroup, CgroupLayout, CgroupStats, OpenOptions } from './types.js';
export type { CgroupIo } from './io.js';
export {
  DEFAULT_ALLOWED_DEVICES,
  convertBlkioToIoWeight,
  convertSharesToWeight,
  convertSharesToWeightQuadratic,
  convertSwapToV2,
  deviceRuleString,
  deviceWrites,
} from './convert.js';
export { applyDevicesV2 } from './v2.js';
export { discoverV1Hierarchies, type Hierarchy } from './v1.js';
export { moveToCgroupsOf } from './move.js';
export { primeCgroupMigration } from './prime.js';
export { detectLayout, DEFAULT_CGROUP_ROOT } from './layout.js';

/** The cgroup for a container:
 *  - absent or empty -> /hako/<id>
 *  - absolute -> itself (normalized)
 *  - relative -> anchored at the hierarchy root ("a/b" -> "/a/b").
 *  Decision: runc puts a relative path below the cgroup of the runtime process itself, per
 *  controller. hako does not: on v1 that cgroup differs between hierarchies (on the dev VM memory is
 *  at /process_api/<hash>, the rest at /), the runtime process exits right after start, and one
 *  string could not name both. Anchoring at the root is predictable and the same on v1 and v2.
 *  The systemd "slice:prefix:name" form is refused: hako has no systemd cgroup driver. */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return `/hako/${id}`;
  if (/^[^/:]+\.slice:[^:]*:[^:]+$/.test(cgroupsPath)) {
    throw new ConfigError(
      'linux.cgroupsPath',
      `'${cgroupsPath}' is systemd "slice:prefix:name" syntax; hako only has the cgroupfs driver, use a path such as /hako/${id}`,
    );
  }
  if (cgroupsPath.includes('\0')) throw new ConfigError('linux.cgroupsPath', 'contains a NUL byte');
  const resolved = path.posix.normalize(`/${cgroupsPath}`).replace(/\/+$/, '');
  if (resolved === '' || resolved === '/') throw new ConfigError('linux.cgroupsPath', `'${cgroupsPath}' is the root cgroup; a container needs its own`);
  return resolved;
}

/** A handle on the cgroup at `cgroupsPath` (an absolute path as returned by resolveCgroupsPath).
 *  Nothing is touched until create()/addProcess()/...: opening is cheap. */
export function openCgroup(cgroupsPath: string, opts: OpenOptions = {}): Cgroup {
  const root = (opts.root ?? DEFAULT_CGROUP_ROOT).replace(/\/+$/, '') || '/';
  if (!cgroupsPath.startsWith('/')) throw new HakoError(`cgroup: path '${cgroupsPath}' must be absolute (use resolveCgroupsPath)`);
  const cgPath = path.posix.normalize(cgroupsPath).replace(/\/+$/, '');
  if (cgPath === '') throw new HakoError('cgroup: refusing to operate on the root cgroup');
  const layout = opts.layout ?? detectLayout(root);
  const io = opts.io ?? realIo;
  const warn = opts.warn ?? defaultWarn;
  if (layout === 'v2') return new V2Cgroup(cgPath, root, io, warn);
  return new V1Cgroup(cgPath, root, discoverV1Hierarchies(root), io, warn);
}
export { findDelegation, missingControllers, ownCgroupV2, LIMIT_CONTROLLERS, type Delegation } from './delegation.js';
