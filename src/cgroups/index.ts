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
import { SystemdCgroup } from './systemd.js';
import { parseSystemdCgroupsPath } from './systemd-props.js';

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
export { parseSystemdCgroupsPath, expandSlice, resourceProperties, deviceProperties, rangeToBits } from './systemd-props.js';
export { systemdBooted } from './systemd-bus.js';
export { SystemdCgroup } from './systemd.js';

/** The cgroup for a container:
 *  - absent or empty -> /hako/<id>
 *  - absolute -> itself (normalized)
 *  - relative -> anchored at the hierarchy root ("a/b" -> "/a/b").
 *  Decision: runc puts a relative path below the cgroup of the runtime process itself, per
 *  controller. hako does not: on v1 that cgroup differs between hierarchies (on the dev VM memory is
 *  at /process_api/<hash>, the rest at /), the runtime process exits right after start, and one
 *  string could not name both. Anchoring at the root is predictable and the same on v1 and v2.
 *  With the systemd driver (`systemd`, runc's --systemd-cgroup) the result is "slice:prefix:name"
 *  (empty -> system.slice:hako:<id>), which openCgroup() recognises by its not starting with "/";
 *  without it that form is refused rather than taken for a relative path. */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string, opts: { systemd?: boolean } = {}): string {
  if (opts.systemd) {
    const s = parseSystemdCgroupsPath(cgroupsPath, id);
    return `${s.slice}:${s.prefix}:${s.name}`;
  }
  if (cgroupsPath === undefined || cgroupsPath === '') return `/hako/${id}`;
  if (/^[^/:]+\.slice:[^:]*:[^:]+$/.test(cgroupsPath)) {
    throw new ConfigError(
      'linux.cgroupsPath',
      `'${cgroupsPath}' is systemd "slice:prefix:name" syntax, for the systemd cgroup driver (hako runtime --systemd-cgroup); without it use a path such as /hako/${id}`,
    );
  }
  if (cgroupsPath.includes('\0')) throw new ConfigError('linux.cgroupsPath', 'contains a NUL byte');
  const resolved = path.posix.normalize(`/${cgroupsPath}`).replace(/\/+$/, '');
  if (resolved === '' || resolved === '/') throw new ConfigError('linux.cgroupsPath', `'${cgroupsPath}' is the root cgroup; a container needs its own`);
  return resolved;
}

/** A handle on the cgroup at `cgroupsPath` (as returned by resolveCgroupsPath: an absolute path, or
 *  the systemd driver's "slice:prefix:name"). Nothing is touched until create()/addProcess()/...:
 *  opening is cheap. */
export function openCgroup(cgroupsPath: string, opts: OpenOptions = {}): Cgroup {
  if (!cgroupsPath.startsWith('/') && cgroupsPath.includes(':')) {
    const scope = parseSystemdCgroupsPath(cgroupsPath, '');
    return new SystemdCgroup(scope, openCgroup(scope.cgroupPath, opts));
  }
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
