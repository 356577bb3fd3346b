// What `checkpoint` and `restore` take: runc's flags (checkpoint.go, restore.go), as options.
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import type { CgMode } from './rpc.js';

export interface CriuCommonOptions {
  /** Where the images are (written by checkpoint, read by restore). */
  imagePath: string;
  /** Where criu's log and work files go; default: the image directory. */
  workPath?: string;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  /** soft (default), full, strict or ignore. */
  manageCgroupsMode?: string;
  /** Namespaces created empty rather than restored; the network namespace always is (runc's rule:
   *  the runtime does not manage network devices). */
  emptyNs?: string[];
}

export interface CheckpointOptions extends CriuCommonOptions {
  leaveRunning?: boolean;
  preDump?: boolean;
  /** A previous pre-dump, relative to imagePath. */
  parentPath?: string;
  tcpSkipInFlight?: boolean;
  linkRemap?: boolean;
  autoDedup?: boolean;
}

export interface RestoreOptions extends CriuCommonOptions {
  bundle: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** runc's --no-pivot: accepted; criu restores the mount namespace itself. */
  noPivot?: boolean;
  autoDedup?: boolean;
  /** stdin, stdout, stderr of the restored process: the pipes recorded at checkpoint are replaced
   *  by these (runc passes its own). Default: ours. */
  stdio?: [number | 'inherit', number | 'inherit', number | 'inherit'];
}

const CG_MODES: Record<string, CgMode> = { '': 'DEFAULT', soft: 'SOFT', full: 'FULL', strict: 'STRICT', ignore: 'IGNORE' };

export function cgMode(mode: string | undefined): CgMode {
  const m = CG_MODES[mode ?? ''];
  if (!m) throw new HakoError(`--manage-cgroups-mode ${mode}: invalid (soft, full, strict or ignore)`);
  return m;
}

const CLONE_NEWNET = 0x40000000;

/** empty_ns: CLONE_NEWNET always, as runc; --empty-ns accepts only `network`, as runc's. */
export function emptyNsMask(names: string[] | undefined): number {
  for (const n of names ?? []) if (n !== 'network') throw new HakoError(`--empty-ns ${n}: namespace "${n}" is not supported (only network)`);
  return CLONE_NEWNET;
}

/** The criu executable: $HAKO_CRIU, else Debian's. */
export function criuPath(): string {
  const p = process.env.HAKO_CRIU || (fs.existsSync('/usr/sbin/criu') ? '/usr/sbin/criu' : '/sbin/criu');
  if (!fs.existsSync(p)) throw new HakoError(`checkpoint/restore needs criu (${p} not found; Debian's package criu)`);
  return p;
}

/** runc's default criu configuration file, unless the annotation org.criu.config names another
 *  (or, empty, none). */
export function criuConfigFile(annotations: Record<string, string> | undefined): string | undefined {
  const named = annotations?.['org.criu.config'];
  if (named !== undefined) return named || undefined;
  return '/etc/criu/runc.conf';
}
