// Pure conversions from OCI (cgroup-v1-shaped) values to what the kernel files want.
// Formulas follow runc / opencontainers/cgroups so a config means the same under hako and runc.
import type { DeviceCgroup } from '../oci/types.js';
import { HakoError } from '../util/errors.js';

/** cpu.shares [2..262144] -> cpu.weight [1..10000], runc's linear formula (runc <= 1.3.1):
 *  1 + ((shares - 2) * 9999) / 262142, integer division. 0 = unset -> 0.
 *  Note: runc >= 1.3.2 switched to convertSharesToWeightQuadratic (1024 -> 100, the v2 default);
 *  the linear one maps 1024 to 39. Out-of-range shares are clamped so the result is always valid. */
export function convertSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** The formula of opencontainers/cgroups >= 0.0.3 (runc >= 1.3.2): a quadratic in log2(shares)
 *  through (2,1), (1024,100), (262144,10000). Exported so the lead can switch. */
export function convertSharesToWeightQuadratic(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** blkio.weight [10..1000] -> io.weight [1..10000] (runc ConvertBlkIOToIOWeightValue). 0 = unset. */
export function convertBlkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** OCI memory.swap is memory+swap (v1 memsw); v2 memory.swap.max is swap alone.
 *  Returns -1 for "max", 0 for "unset" (runc ConvertMemorySwapToCgroupV2Value). */
export function convertSwapToV2(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1; // unlimited memory and swap unset: both unlimited
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap;
  if (limit === 0) throw new HakoError('cgroup memory: swap limit without memory limit (linux.resources.memory.swap needs memory.limit)');
  if (limit < 0) throw new HakoError(`cgroup memory: invalid memory limit ${limit}`);
  if (swap < limit)
    throw new HakoError(`cgroup memory: memory+swap limit ${swap} is below the memory limit ${limit} (linux.resources.memory.swap is memory+swap)`);
  return swap - limit;
}

/** v2 file value for an OCI number where 0 = unset and -1 = unlimited: '' (skip), 'max' or digits. */
export function numToV2(n: number | undefined): string {
  if (n === undefined || n === 0) return '';
  if (n === -1) return 'max';
  return String(n);
}

/** A rule's access as runc 1.1 reads it (devices.Permissions): the set of r, w and m in it, in that
 *  order, other letters ignored, so "rwa" and "rrw" both mean "rw". No access at all means "rwm"
 *  (the spec validation refuses an empty one, as runc does, before a rule gets here). */
export function deviceAccess(access: string | undefined): string {
  if (!access) return 'rwm';
  return ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
}

/** A rule's type; runc reads a missing or empty one as "a". */
export const deviceType = (rule: DeviceCgroup): string => rule.type || 'a';

/** One v1 devices.allow/deny line: "c 1:3 rwm", "a *:* rwm". An "a" rule's access is ignored (by
 *  the kernel and by runc), so it is written as rwm. */
export function deviceRuleString(rule: DeviceCgroup): string {
  const type = deviceType(rule);
  const num = (n: number | null | undefined): string => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${type} ${num(rule.major)}:${num(rule.minor)} ${type === 'a' ? 'rwm' : deviceAccess(rule.access)}`;
}

/** runc's specconv AllowedDevices, appended after the config's rules (so they always win):
 *  mknod of anything, /dev/null, random, full, tty, zero, urandom, /dev/pts/*, ptmx, /dev/net/tun. */
export const DEFAULT_ALLOWED_DEVICES: readonly DeviceCgroup[] = Object.freeze([
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
] as DeviceCgroup[]);

/** The v1 write sequence for a config's device rules: default-deny ("a *:* rwm" to devices.deny,
 *  which also clears inherited exceptions), then each rule in order, then DEFAULT_ALLOWED_DEVICES. */
export function deviceWrites(rules: DeviceCgroup[] | undefined): { file: 'devices.allow' | 'devices.deny'; value: string }[] {
  const out: { file: 'devices.allow' | 'devices.deny'; value: string }[] = [{ file: 'devices.deny', value: 'a *:* rwm' }];
  for (const r of [...(rules ?? []), ...DEFAULT_ALLOWED_DEVICES]) {
    // A rule with none of r, w and m changes nothing (emulateDeviceRules refuses the ones that
    // would have to), and the kernel would refuse its empty access.
    if (deviceType(r) !== 'a' && deviceAccess(r.access) === '') continue;
    out.push({ file: r.allow ? 'devices.allow' : 'devices.deny', value: deviceRuleString(r) });
  }
  return out;
}

/** "2MB" style page size check, so a typo becomes a clear error rather than a missing file. */
export function checkPageSize(pageSize: string): void {
  if (!/^\d+(KB|MB|GB)$/.test(pageSize)) {
    throw new HakoError(`cgroup hugetlb: page size '${pageSize}' is not like 2MB or 1GB (linux.resources.hugepageLimits[].pageSize)`);
  }
}
