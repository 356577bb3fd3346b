// Which cgroup layout the host has. Its own module so the drivers' helpers (move.ts) can ask
// without importing the entry point that imports them.
import path from 'node:path';
import { existsSync } from './io.js';
import type { CgroupLayout } from './types.js';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** v2: `root` itself is the unified hierarchy (it has cgroup.controllers).
 *  hybrid: v1 controllers plus a cgroup2 mount at <root>/unified -- use the v1 driver.
 *  v1: everything else. Works on fake trees because it only looks at files. */
export function detectLayout(root = DEFAULT_CGROUP_ROOT): CgroupLayout {
  if (existsSync(path.join(root, 'cgroup.controllers'))) return 'v2';
  if (existsSync(path.join(root, 'unified', 'cgroup.controllers'))) return 'hybrid';
  return 'v1';
}
