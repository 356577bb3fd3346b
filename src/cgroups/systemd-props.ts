// The systemd cgroup driver's policy, without D-Bus: the "slice:prefix:name" cgroupsPath, where
// systemd puts that scope's cgroup, and OCI linux.resources as the unit properties systemd applies
// itself (runc's libcontainer/cgroups/systemd common.go, v1.go, v2.go and devices/systemd.go).
// What systemd has no property for is written through cgroupfs afterwards by the v1/v2 drivers.
import type { Resources } from '../oci/types.js';
import { ConfigError } from '../util/errors.js';
import type { Variant } from '../util/dbus.js';
import { convertSharesToWeight, convertSwapToV2 } from './convert.js';
import { containerDeviceRules, emulateDeviceRules, BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE } from './devices-bpf.js';

/** A container's place under systemd: `system.slice:hako:<id>` -> unit hako-<id>.scope in
 *  system.slice, cgroup /system.slice/hako-<id>.scope. */
export interface SystemdScope {
  slice: string;
  prefix: string;
  name: string;
  /** The transient unit: `<prefix>-<name>.scope`. */
  unit: string;
  /** Its cgroup, relative to each hierarchy's root. */
  cgroupPath: string;
}

/** Unit names: systemd's allowed characters (unit_name_is_valid), at most 255 bytes. */
const UNIT_CHARS = /^[A-Za-z0-9:_.\\-]+$/;
const FIELD = 'linux.cgroupsPath';

/** A cgroupsPath for the systemd driver: empty -> `system.slice:hako:<id>` (runc: system.slice:runc:<id>);
 *  else exactly three fields `slice:prefix:name`, an empty slice meaning system.slice (as runc). */
export function parseSystemdCgroupsPath(cgroupsPath: string | undefined, id: string): SystemdScope {
  const text = cgroupsPath || `system.slice:hako:${id}`;
  const parts = text.split(':');
  if (parts.length !== 3) {
    throw new ConfigError(FIELD, `'${text}' is not "slice:prefix:name" (the systemd cgroup driver's form, e.g. system.slice:hako:${id})`);
  }
  const [rawSlice, prefix, name] = parts;
  const slice = rawSlice || 'system.slice';
  for (const [what, v] of [
    ['prefix', prefix],
    ['name', name],
  ]) {
    if (!v) throw new ConfigError(FIELD, `'${text}': the ${what} is empty ("slice:prefix:name")`);
    if (!UNIT_CHARS.test(v) || v === '.' || v === '..')
      throw new ConfigError(FIELD, `'${text}': the ${what} '${v}' has characters a systemd unit name cannot have`);
  }
  if (name.endsWith('.slice'))
    throw new ConfigError(FIELD, `'${text}': a name ending in .slice (a slice of its own, runc's kubelet mode) is not supported; use a scope name`);
  const unit = `${prefix}-${name}.scope`;
  if (unit.length > 255) throw new ConfigError(FIELD, `'${text}': the unit name ${unit.length} bytes long is longer than systemd's 255`);
  return { slice, prefix, name, unit, cgroupPath: `${expandSlice(slice, text)}/${unit}` };
}

/** `a-b-c.slice` -> /a.slice/a-b.slice/a-b-c.slice (systemd's slice nesting); `-.slice` is the root. */
export function expandSlice(slice: string, text = slice): string {
  const bad = (why: string) => new ConfigError(FIELD, `'${text}': slice '${slice}' ${why}`);
  if (!slice.endsWith('.slice') || slice === '.slice') throw bad('must end in .slice');
  if (!UNIT_CHARS.test(slice)) throw bad('has characters a systemd unit name cannot have');
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '';
  let out = '';
  let prefix = '';
  for (const component of base.split('-')) {
    if (component === '') throw bad('has an empty component (a leading, trailing or double -)');
    out += `/${prefix}${component}.slice`;
    prefix += `${component}-`;
  }
  return out;
}

/** One unit property, as StartTransientUnit and SetUnitProperties take them: a(sv). */
export type UnitProperty = [name: string, value: Variant];

const INFINITY = 0xffffffffffffffffn; // systemd's USEC_INFINITY / CGROUP_LIMIT_MAX
const DEFAULT_CPU_PERIOD = 100000;
const u64 = (n: number): bigint => (n < 0 ? INFINITY : BigInt(n));

/** The properties of a new scope (runc's Apply): placement, delegation, accounting, no default
 *  dependencies (a container must not be stopped with, or wait for, other units). */
export function scopeProperties(scope: SystemdScope, pid: number, version: 1 | 2, description: string): UnitProperty[] {
  return [
    ['Description', ['s', description]],
    ['Slice', ['s', scope.slice]],
    ['Delegate', ['b', true]],
    ['PIDs', ['au', [pid]]],
    ['MemoryAccounting', ['b', true]],
    ['CPUAccounting', ['b', true]],
    [version === 2 ? 'IOAccounting' : 'BlockIOAccounting', ['b', true]],
    ['TasksAccounting', ['b', true]],
    ['DefaultDependencies', ['b', false]],
  ];
}

/** linux.resources as unit properties, and the resources to write through cgroupfs afterwards (a
 *  CPU quota is rounded up to systemd's 10 ms-per-second steps, and written rounded, as runc does,
 *  so the file and systemd agree). `version` is the host's cgroup version. */
export function resourceProperties(r: Resources, version: 1 | 2): { props: UnitProperty[]; resources: Resources } {
  const props: UnitProperty[] = [...deviceProperties(r)];
  const t = (name: string, v: bigint) => props.push([name, ['t', v]]);
  const mem = r.memory ?? {};
  if (version === 2) {
    if (mem.limit) t('MemoryMax', u64(mem.limit));
    if (mem.reservation) t('MemoryLow', u64(mem.reservation));
    const swap = convertSwapToV2(mem.swap ?? 0, mem.limit ?? 0);
    if (swap) t('MemorySwapMax', u64(swap));
    if (r.cpu?.shares) t('CPUWeight', BigInt(convertSharesToWeight(r.cpu.shares)));
  } else {
    if (mem.limit) t('MemoryLimit', u64(mem.limit));
    if (r.cpu?.shares) t('CPUShares', BigInt(r.cpu.shares));
    if (r.blockIO?.weight) t('BlockIOWeight', BigInt(r.blockIO.weight));
  }
  const cpu = cpuQuotaProperties(r, props);
  if (r.pids?.limit !== undefined && r.pids.limit !== null) {
    // 0 and -1 both mean no limit, as the cgroupfs drivers write them (pids.max max).
    const limit = r.pids.limit;
    t('TasksMax', limit <= 0 ? INFINITY : BigInt(limit));
  }
  if (r.cpu?.cpus) props.push(['AllowedCPUs', ['ay', rangeToBits(r.cpu.cpus, 'linux.resources.cpu.cpus')]]);
  if (r.cpu?.mems) props.push(['AllowedMemoryNodes', ['ay', rangeToBits(r.cpu.mems, 'linux.resources.cpu.mems')]]);
  if (version === 2) props.push(...unifiedProperties(r.unified ?? {}));
  return { props, resources: cpu === undefined ? r : { ...r, cpu } };
}

/** CPUQuotaPerSecUSec (and CPUQuotaPeriodUSec); returns linux.resources.cpu with the rounded quota. */
function cpuQuotaProperties(r: Resources, props: UnitProperty[]): Resources['cpu'] | undefined {
  const quota = r.cpu?.quota ?? 0;
  const period = r.cpu?.period ?? 0;
  if (!quota && !period) return undefined;
  if (period) props.push(['CPUQuotaPeriodUSec', ['t', BigInt(period)]]);
  if (quota <= 0) {
    props.push(['CPUQuotaPerSecUSec', ['t', INFINITY]]);
    return undefined;
  }
  const p = period || DEFAULT_CPU_PERIOD;
  let perSec = Math.floor((quota * 1_000_000) / p);
  let rounded = quota;
  if (perSec % 10000 !== 0) {
    perSec = (Math.floor(perSec / 10000) + 1) * 10000;
    rounded = Math.floor((perSec * p) / 1_000_000);
  }
  props.push(['CPUQuotaPerSecUSec', ['t', BigInt(perSec)]]);
  return { ...r.cpu, quota: rounded };
}

/** The v2 unified keys systemd has properties for (runc's unifiedResToSystemdProps); the rest, and
 *  these too, are written as files afterwards. */
function unifiedProperties(unified: Record<string, string>): UnitProperty[] {
  const names: Record<string, string> = {
    'memory.high': 'MemoryHigh',
    'memory.low': 'MemoryLow',
    'memory.min': 'MemoryMin',
    'memory.max': 'MemoryMax',
    'memory.swap.max': 'MemorySwapMax',
    'pids.max': 'TasksMax',
    'cpu.weight': 'CPUWeight',
  };
  const out: UnitProperty[] = [];
  for (const [key, raw] of Object.entries(unified)) {
    const name = names[key];
    if (!name) continue;
    const v = raw.trim();
    if (v !== 'max' && !/^\d+$/.test(v)) throw new ConfigError(`linux.resources.unified.${key}`, `'${raw}' is not a number or max`);
    let n = v === 'max' ? INFINITY : BigInt(v);
    if (name === 'TasksMax' && n === 0n) n = 1n;
    out.push([name, ['t', n]]);
  }
  return out;
}

/** "0-3,5" -> the little-endian CPU bitmask systemd's AllowedCPUs takes (runc RangeToBits). */
export function rangeToBits(list: string, field: string): number[] {
  const bytes: number[] = [];
  for (const part of list.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(field, `'${list}' is not a list of numbers and ranges such as 0-3,5`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to > 8191) throw new ConfigError(field, `'${part}' in '${list}' is not a range up to 8191`);
    for (let i = from; i <= to; i++) {
      while (bytes.length <= i >> 3) bytes.push(0);
      bytes[i >> 3] |= 1 << (i & 7);
    }
  }
  return bytes;
}

/** DevicePolicy/DeviceAllow for the container's device rules (runc's devices/systemd.go): systemd
 *  re-applies its own rules when it reloads, and on v1 with no policy it would write `a` (allow all)
 *  to devices.allow then. Strict allow-lists only; a deny-list other than allow-all becomes a
 *  temporary deny-all (the cgroupfs rules written afterwards are the real ones), as in runc. */
export function deviceProperties(r: Resources): UnitProperty[] {
  const emulated = emulateDeviceRules(containerDeviceRules(r.devices));
  if (emulated.defaultAllow) {
    if (emulated.exceptions.length === 0)
      return [
        ['DevicePolicy', ['s', 'auto']],
        ['DeviceAllow', ['a(ss)', []]],
      ];
    return [
      ['DevicePolicy', ['s', 'strict']],
      ['DeviceAllow', ['a(ss)', []]],
    ];
  }
  const allow: [string, string][] = [];
  for (const e of emulated.exceptions) {
    const perms = `${e.access & BPF_DEVCG_ACC_READ ? 'r' : ''}${e.access & BPF_DEVCG_ACC_WRITE ? 'w' : ''}${e.access & BPF_DEVCG_ACC_MKNOD ? 'm' : ''}`;
    const group = e.type === 'b' ? 'block-' : 'char-';
    if (e.major < 0 && e.minor >= 0) continue; // "*:n" has no systemd form; cgroupfs has the rule
    const path = e.major < 0 ? `${group}*` : e.minor < 0 ? `${group}${e.major}` : `/dev/${e.type === 'b' ? 'block' : 'char'}/${e.major}:${e.minor}`;
    allow.push([path, perms]);
  }
  return [
    ['DevicePolicy', ['s', 'strict']],
    ['DeviceAllow', ['a(ss)', allow]],
  ];
}
