// The driver-independent shape the runtime core uses; v1.ts and v2.ts implement it.
import type { Resources } from '../oci/types.js';
import type { CgroupIo } from './io.js';
import { writeErr } from '../util/stdio.js';

export type CgroupLayout = 'v1' | 'v2' | 'hybrid';

/** Every time is in nanoseconds, every size in bytes. A section is absent when its controller is
 *  not available for this cgroup. `limit` absent = unlimited. */
export interface CgroupStats {
  memory?: {
    usage: number;
    limit?: number;
    maxUsage?: number; // v1 memory.max_usage_in_bytes, v2 memory.peak (kernel >= 5.19)
    failcnt?: number; // v1 memory.failcnt, v2 memory.events "max" (times the limit was hit)
    oomKills: number;
    swapUsage?: number;
  };
  cpu?: {
    usageTotal: number;
    usageUser: number;
    usageSystem: number;
    periods: number;
    throttledPeriods: number;
    throttledTime: number;
  };
  pids?: { current: number; limit?: number };
  blkio?: { devices: BlkioDeviceStats[] };
}

export interface BlkioDeviceStats {
  major: number;
  minor: number;
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

export interface Cgroup {
  readonly version: 1 | 2;
  /** The cgroupsPath, e.g. /hako/<id> (absolute, relative to each hierarchy's root). */
  readonly path: string;
  /** Creates the cgroup (mkdir -p) and applies `resources`; on failure removes what it created. */
  create(resources?: Resources): void;
  /** Moves `pid` (all its threads) into the cgroup, in every v1 hierarchy. */
  addProcess(pid: number): void;
  /** The systemd driver: creates the cgroup (a scope) around the container's first process, as
   *  systemd refuses an empty scope; callers use it instead of addProcess() for that process. */
  place?(pid: number): Promise<void>;
  /** The systemd driver: update() through D-Bus as well; callers prefer it when present. */
  updateAsync?(resources: Resources): Promise<void>;
  /** Applies changed resources to an existing cgroup (device rules are not changed on update). */
  update(resources: Resources): void;
  freeze(): void;
  thaw(): void;
  /** freeze() and thaw() sleeping on timers between their checks: for the library's callers. */
  freezeAsync(): Promise<void>;
  thawAsync(): Promise<void>;
  state(): 'frozen' | 'thawed';
  /** Every pid in the cgroup and its descendants. */
  pids(): number[];
  stats(): CgroupStats;
  oomKills(): number;
  killAll(signal: number): void;
  /** killAll() with the freezer's waits (v1) on timers. */
  killAllAsync(signal: number): Promise<void>;
  /** Removes the directories (and child cgroups); the processes must be gone. */
  destroy(): void;
  /** destroy() retrying EBUSY on timers. */
  destroyAsync(): Promise<void>;
  exists(): boolean;
  /** Directory per controller (v1, keyed by controller, "name=systemd" included) or {"": dir} (v2). */
  dirs(): Record<string, string>;
}

export interface OpenOptions {
  /** Where the cgroup filesystems are mounted; default /sys/fs/cgroup. */
  root?: string;
  layout?: CgroupLayout;
  /** Test seam: a fake cgroupfs (see test/unit/cgroups/fakefs.ts). */
  io?: CgroupIo;
  /** Where "warn, do not fail" messages go (ignored kernel memory etc.); default stderr. */
  warn?: (message: string) => void;
}

export function defaultWarn(message: string): void {
  writeErr(`hako: warning: ${message}\n`);
}
