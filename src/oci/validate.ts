// Validation of config.json before anything is created. Every check throws ConfigError with the exact
// JSON path (`linux.namespaces[2].type`), so a bad bundle fails with one line and nothing to clean
// up. Checks are plain functions over the parsed JSON rather than a schema library: the interesting
// rules are cross-field ones (mappings need a user namespace, hostname needs a uts namespace, ...)
// that a schema would not express, and the path-exact messages are what users see.
//
// Unknown fields are allowed (config.md: runtimes MUST ignore unknown properties). A JSON null in an
// optional field counts as absent, as it does for runc (Go's encoding/json), and is removed from the
// returned copy so the rest of hako only ever sees `undefined`.
import { ConfigError, HakoError } from '../util/errors.js';
import type { Process, NamespaceType, Resources, Spec } from './types.js';
import { capabilityMask, isNamespaceType, MS_BIND, parseMountOptions, PROPAGATION_OPTIONS, rlimitValue, RLIMITS } from './names.js';

type Obj = Record<string, unknown>;
type Check<T> = (path: string, v: unknown) => T;

// ---------------------------------------------------------------------------------------------
// Small helpers: each takes the JSON path of the value it checks and returns the value typed.

function fail(path: string, problem: string): never {
  throw new ConfigError(path, problem);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return `${v}`;
  return typeof v;
}

/** `path` + key, in the dotted form users know; keys that are not identifiers go in brackets. */
function at(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function expectObject(path: string, v: unknown): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `must be an object (got ${describe(v)})`);
  return v as Obj;
}

function expectArray(path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array (got ${describe(v)})`);
  return v;
}

/** Strings end up as C strings (paths, argv, mount data), where a NUL would silently truncate. */
function expectString(path: string, v: unknown): string {
  if (typeof v !== 'string') fail(path, `must be a string (got ${describe(v)})`);
  if (v.includes('\0')) fail(path, 'must not contain a NUL byte');
  return v;
}

function expectNonEmptyString(path: string, v: unknown): string {
  const s = expectString(path, v);
  if (s === '') fail(path, 'must not be empty');
  return s;
}

function expectBool(path: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(path, `must be true or false (got ${describe(v)})`);
  return v;
}

function expectAbsPath(path: string, v: unknown): string {
  const s = expectString(path, v);
  if (!s.startsWith('/')) fail(path, `must be an absolute path (got "${s}")`);
  return s;
}

function expectStringArray(path: string, v: unknown): string[] {
  return expectArray(path, v).map((x, i) => expectString(`${path}[${i}]`, x));
}

interface IntRange {
  min: number;
  max: number;
}
// 64-bit bounds are as close as doubles get; JSON.parse already rounded anything larger.
const U16: IntRange = { min: 0, max: 0xffff };
const I32: IntRange = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const U32: IntRange = { min: 0, max: 2 ** 32 - 1 };
const I64: IntRange = { min: -(2 ** 63), max: 2 ** 63 };
const U64: IntRange = { min: 0, max: 2 ** 64 };

function expectInt(path: string, v: unknown, range: IntRange): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `must be an integer (got ${describe(v)})`);
  if (v < range.min || v > range.max) {
    if (range.min === 0 && v < 0) fail(path, `must not be negative (got ${v})`);
    fail(path, `must be between ${range.min} and ${range.max} (got ${v})`);
  }
  return v;
}

const int =
  (range: IntRange): Check<number> =>
  (p, v) =>
    expectInt(p, v, range);

function arrayOf<T>(check: Check<T>): Check<T[]> {
  return (p, v) => expectArray(p, v).map((x, i) => check(`${p}[${i}]`, x));
}

function objectWith(fields: (o: Obj, path: string) => void): Check<Obj> {
  return (p, v) => {
    const o = expectObject(p, v);
    fields(o, p);
    return o;
  };
}

/** An optional field: absent or null -> undefined (null is deleted), otherwise checked. */
function opt<T>(o: Obj, path: string, key: string, check: Check<T>): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null) {
    delete o[key];
    return undefined;
  }
  return check(at(path, key), v);
}

function req<T>(o: Obj, path: string, key: string, check: Check<T>): T {
  const v = o[key];
  if (v === undefined || v === null) fail(at(path, key), 'missing');
  return check(at(path, key), v);
}

function oneOf(allowed: readonly string[], what: string): Check<string> {
  return (p, v) => {
    const s = expectString(p, v);
    if (!allowed.includes(s)) fail(p, `unknown ${what} "${s}" (expected one of ${allowed.join(', ')})`);
    return s;
  };
}

/** NAME=VALUE, as execve and runc require: a name, an '=' (the value may be empty). */
function expectEnvEntry(path: string, v: unknown): string {
  const s = expectString(path, v);
  const eq = s.indexOf('=');
  if (eq < 0) fail(path, `must be NAME=VALUE (got "${s}")`);
  if (eq === 0) fail(path, `variable name must not be empty (got "${s}")`);
  return s;
}

/** A cpuset list such as "0-3,7". */
function expectCpuList(path: string, v: unknown): string {
  const s = expectString(path, v);
  if (s !== '' && !/^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$/.test(s)) fail(path, `must be a CPU/node list such as "0-3,7" (got "${s}")`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Sections of config.json

/** What later cross-field checks need to know about linux.namespaces. */
type NamespaceSet = Map<NamespaceType, { path?: string; index: number }>;

function checkRoot(o: Obj, p: string): void {
  req(o, p, 'path', expectNonEmptyString);
  opt(o, p, 'readonly', expectBool);
}

function checkUser(o: Obj, p: string): void {
  req(o, p, 'uid', int(U32));
  req(o, p, 'gid', int(U32));
  opt(o, p, 'umask', int(U32));
  opt(o, p, 'additionalGids', arrayOf(int(U32)));
  opt(o, p, 'username', expectString);
}

const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

function checkCapabilities(o: Obj, p: string): void {
  for (const set of CAPABILITY_SETS) {
    const names = opt(o, p, set, expectStringArray);
    if (names) capabilityMask(names, at(p, set));
  }
}

function checkRlimits(p: string, v: unknown): void {
  const seen = new Map<string, number>();
  expectArray(p, v).forEach((x, i) => {
    const ip = `${p}[${i}]`;
    const r = expectObject(ip, x);
    const type = req(r, ip, 'type', expectString);
    if (!Object.hasOwn(RLIMITS, type)) fail(at(ip, 'type'), `unknown rlimit "${type}"`);
    if (seen.has(type)) fail(at(ip, 'type'), `duplicate rlimit "${type}" (also ${p}[${seen.get(type)}])`);
    seen.set(type, i);
    const soft = req(r, ip, 'soft', int(U64));
    const hard = req(r, ip, 'hard', int(U64));
    if (rlimitValue(soft) > rlimitValue(hard)) fail(at(ip, 'soft'), `must not be greater than hard (${soft} > ${hard})`);
  });
}

const SCHED_POLICIES = ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'];

/** process.scheduler, with the same rules runc applies (sched_setattr(2)). */
function checkScheduler(o: Obj, p: string): void {
  const policy = req(o, p, 'policy', oneOf(SCHED_POLICIES, 'scheduler policy'));
  opt(o, p, 'nice', int({ min: -20, max: 19 }));
  const priority = opt(o, p, 'priority', int(I32));
  opt(o, p, 'flags', expectStringArray);
  const runtime = opt(o, p, 'runtime', int(U64));
  const deadline = opt(o, p, 'deadline', int(U64));
  const period = opt(o, p, 'period', int(U64));
  if (priority && policy !== 'SCHED_FIFO' && policy !== 'SCHED_RR') fail(at(p, 'priority'), 'can only be set for SCHED_FIFO or SCHED_RR');
  if (policy !== 'SCHED_DEADLINE' && (runtime || deadline || period)) {
    fail(at(p, runtime ? 'runtime' : deadline ? 'deadline' : 'period'), 'can only be set for SCHED_DEADLINE');
  }
}

function checkProcess(o: Obj, p: string): void {
  opt(o, p, 'terminal', expectBool);
  opt(
    o,
    p,
    'consoleSize',
    objectWith((c, cp) => {
      req(c, cp, 'height', int(U32));
      req(c, cp, 'width', int(U32));
    }),
  );
  req(o, p, 'user', objectWith(checkUser));
  // config.md: at least one entry is REQUIRED; its value is execvp's file.
  const args = o.args;
  if (!Array.isArray(args) || args.length === 0) fail(at(p, 'args'), 'must be a non-empty array of strings');
  expectStringArray(at(p, 'args'), args);
  if (args[0] === '') fail(`${at(p, 'args')}[0]`, 'must not be empty');
  opt(o, p, 'commandLine', expectString);
  opt(o, p, 'env', arrayOf(expectEnvEntry));
  req(o, p, 'cwd', expectAbsPath);
  opt(o, p, 'capabilities', objectWith(checkCapabilities));
  opt(o, p, 'rlimits', checkRlimits);
  opt(o, p, 'noNewPrivileges', expectBool);
  opt(o, p, 'apparmorProfile', expectString);
  opt(o, p, 'oomScoreAdj', int({ min: -1000, max: 1000 }));
  opt(o, p, 'selinuxLabel', expectString);
  opt(
    o,
    p,
    'ioPriority',
    objectWith((io, iop) => {
      req(io, iop, 'class', oneOf(['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'], 'I/O priority class'));
      req(io, iop, 'priority', int({ min: 0, max: 7 }));
    }),
  );
  opt(o, p, 'scheduler', objectWith(checkScheduler));
  opt(
    o,
    p,
    'execCPUAffinity',
    objectWith((a, ap) => {
      opt(a, ap, 'initial', expectCpuList);
      opt(a, ap, 'final', expectCpuList);
    }),
  );
}

function checkIdMapping(o: Obj, p: string): void {
  const containerID = req(o, p, 'containerID', int(U32));
  const hostID = req(o, p, 'hostID', int(U32));
  const size = req(o, p, 'size', int(U32));
  if (size === 0) fail(at(p, 'size'), 'must be a positive integer');
  if (containerID + size > 2 ** 32) fail(at(p, 'size'), 'containerID + size must not exceed 4294967296');
  if (hostID + size > 2 ** 32) fail(at(p, 'size'), 'hostID + size must not exceed 4294967296');
}

/** uid_map/gid_map rules the kernel enforces with a bare EINVAL: at most 340 lines, and neither the
 *  container ranges nor the host ranges may overlap. */
function checkIdMappings(p: string, v: unknown): Obj[] {
  const maps = arrayOf(objectWith(checkIdMapping))(p, v);
  if (maps.length > 340) fail(p, `at most 340 mappings are allowed (got ${maps.length})`);
  const overlaps = (a: number, b: number, size: number, size2: number) => a < b + size2 && b < a + size;
  maps.forEach((m, i) => {
    for (let j = 0; j < i; j++) {
      const n = maps[j];
      const [ms, ns] = [m.size as number, n.size as number];
      if (overlaps(m.containerID as number, n.containerID as number, ms, ns)) fail(`${p}[${i}]`, `container range overlaps ${p}[${j}]`);
      if (overlaps(m.hostID as number, n.hostID as number, ms, ns)) fail(`${p}[${i}]`, `host range overlaps ${p}[${j}]`);
    }
  });
  return maps;
}

function checkMount(o: Obj, p: string): void {
  req(o, p, 'destination', expectAbsPath);
  const type = opt(o, p, 'type', expectString);
  const source = opt(o, p, 'source', expectString);
  const options = opt(o, p, 'options', expectStringArray) ?? [];
  const uidMappings = opt(o, p, 'uidMappings', checkIdMappings);
  const gidMappings = opt(o, p, 'gidMappings', checkIdMappings);
  const isBind = type === 'bind' || (parseMountOptions(options).flags & MS_BIND) !== 0;
  if (isBind && !source) fail(at(p, 'source'), 'required for a bind mount');
  if (uidMappings || gidMappings) {
    if (!uidMappings) fail(at(p, 'uidMappings'), 'required when gidMappings is set');
    if (!gidMappings) fail(at(p, 'gidMappings'), 'required when uidMappings is set');
    if (!isBind) fail(at(p, 'uidMappings'), 'id-mapped mounts must be bind mounts (add "bind" or "rbind" to options)');
  }
}

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

function checkHook(o: Obj, p: string): void {
  req(o, p, 'path', expectAbsPath);
  opt(o, p, 'args', expectStringArray);
  opt(o, p, 'env', arrayOf(expectEnvEntry));
  const timeout = opt(o, p, 'timeout', int(I32));
  if (timeout !== undefined && timeout <= 0) fail(at(p, 'timeout'), `must be greater than zero (got ${timeout})`);
}

function checkHooks(o: Obj, p: string): void {
  for (const kind of HOOK_KINDS) opt(o, p, kind, arrayOf(objectWith(checkHook)));
}

function checkAnnotations(p: string, v: unknown): void {
  for (const [k, x] of Object.entries(expectObject(p, v))) {
    if (k === '') fail(p, 'keys must not be empty');
    expectString(at(p, k), x);
  }
}

function checkNamespaces(p: string, v: unknown): NamespaceSet {
  const set: NamespaceSet = new Map();
  expectArray(p, v).forEach((x, i) => {
    const ip = `${p}[${i}]`;
    const n = expectObject(ip, x);
    const type = req(n, ip, 'type', expectString);
    if (!isNamespaceType(type)) fail(at(ip, 'type'), `unknown namespace type "${type}"`);
    // runc 1.1.5 refuses any repeated type ("malformed spec file: duplicated ns"), even an
    // identical entry.
    const prev = set.get(type);
    if (prev) fail(at(ip, 'type'), `duplicate namespace type "${type}" (also ${p}[${prev.index}]), as runc refuses it`);
    // An empty path is Go's zero value; runc reads it as "create a new one".
    if (n.path === '') delete n.path;
    const path = opt(n, ip, 'path', expectAbsPath);
    set.set(type, { path, index: i });
  });
  return set;
}

const DEVICE_TYPES = ['c', 'b', 'u', 'p'];

function checkDevice(o: Obj, p: string): void {
  const type = req(o, p, 'type', oneOf(DEVICE_TYPES, 'device type'));
  req(o, p, 'path', expectAbsPath);
  // config-linux.md: major/minor are REQUIRED unless type is p (a fifo has no device number).
  const number = type === 'p' ? opt : req;
  number(o, p, 'major', int(I64));
  number(o, p, 'minor', int(I64));
  opt(o, p, 'fileMode', int(U32));
  opt(o, p, 'uid', int(U32));
  opt(o, p, 'gid', int(U32));
}

function checkTimeOffsets(p: string, v: unknown): void {
  for (const [clock, x] of Object.entries(expectObject(p, v))) {
    const cp = at(p, clock);
    if (clock !== 'monotonic' && clock !== 'boottime') fail(cp, `unknown clock "${clock}" (expected monotonic or boottime)`);
    const t = expectObject(cp, x);
    opt(t, cp, 'secs', int(I64));
    opt(t, cp, 'nanosecs', int({ min: 0, max: 999_999_999 }));
  }
}

// --- linux.resources: only types and ranges; whether a controller exists is the cgroup code's job.

function checkDeviceRule(o: Obj, p: string): void {
  req(o, p, 'allow', expectBool);
  // runc reads an empty type as "a", which is what no type means.
  if (opt(o, p, 'type', oneOf(['a', 'c', 'b', ''], 'device rule type')) === '') delete o.type;
  opt(o, p, 'major', int(I64));
  opt(o, p, 'minor', int(I64));
  // As runc 1.1: access is required and not empty; letters other than r, w and m are ignored
  // ("rwa" means "rw"; see deviceAccess in cgroups/convert.ts).
  if (req(o, p, 'access', expectString) === '') fail(at(p, 'access'), 'must not be empty (some of r, w and m), as runc requires');
}

function checkMemory(o: Obj, p: string): void {
  for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']) opt(o, p, k, int(I64));
  opt(o, p, 'swappiness', int({ min: 0, max: 100 }));
  for (const k of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']) opt(o, p, k, expectBool);
}

function checkCpu(o: Obj, p: string): void {
  for (const k of ['shares', 'burst', 'period', 'realtimePeriod']) opt(o, p, k, int(U64));
  for (const k of ['quota', 'realtimeRuntime', 'idle']) opt(o, p, k, int(I64));
  opt(o, p, 'cpus', expectCpuList);
  opt(o, p, 'mems', expectCpuList);
}

function checkThrottle(o: Obj, p: string): void {
  req(o, p, 'major', int(I64));
  req(o, p, 'minor', int(I64));
  req(o, p, 'rate', int(U64));
}

function checkBlockIO(o: Obj, p: string): void {
  opt(o, p, 'weight', int(U16));
  opt(o, p, 'leafWeight', int(U16));
  opt(
    o,
    p,
    'weightDevice',
    arrayOf(
      objectWith((d, dp) => {
        req(d, dp, 'major', int(I64));
        req(d, dp, 'minor', int(I64));
        opt(d, dp, 'weight', int(U16));
        opt(d, dp, 'leafWeight', int(U16));
      }),
    ),
  );
  for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
    opt(o, p, k, arrayOf(objectWith(checkThrottle)));
  }
}

function checkResources(o: Obj, p: string): void {
  opt(o, p, 'devices', arrayOf(objectWith(checkDeviceRule)));
  opt(o, p, 'memory', objectWith(checkMemory));
  opt(o, p, 'cpu', objectWith(checkCpu));
  opt(
    o,
    p,
    'pids',
    objectWith((x, xp) => void req(x, xp, 'limit', int(I64))),
  );
  opt(o, p, 'blockIO', objectWith(checkBlockIO));
  opt(
    o,
    p,
    'hugepageLimits',
    arrayOf(
      objectWith((h, hp) => {
        const size = req(h, hp, 'pageSize', expectString);
        if (!/^\d+[KMG]B$/.test(size)) fail(at(hp, 'pageSize'), `must be a size such as "2MB" or "1GB" (got "${size}")`);
        req(h, hp, 'limit', int(U64));
      }),
    ),
  );
  opt(
    o,
    p,
    'network',
    objectWith((n, np) => {
      opt(n, np, 'classID', int(U32));
      opt(
        n,
        np,
        'priorities',
        arrayOf(
          objectWith((x, xp) => {
            req(x, xp, 'name', expectNonEmptyString);
            req(x, xp, 'priority', int(U32));
          }),
        ),
      );
    }),
  );
  opt(o, p, 'rdma', (rp, v) => {
    for (const [dev, x] of Object.entries(expectObject(rp, v))) {
      objectWith((r, dp) => {
        opt(r, dp, 'hcaHandles', int(U32));
        opt(r, dp, 'hcaObjects', int(U32));
      })(at(rp, dev), x);
    }
  });
  opt(o, p, 'unified', (up, v) => {
    for (const [k, x] of Object.entries(expectObject(up, v))) expectString(at(up, k), x);
  });
}

/** Only the shape: what the actions and operators mean is checked where the filter is compiled. */
function checkSeccomp(o: Obj, p: string): void {
  req(o, p, 'defaultAction', expectNonEmptyString);
  opt(o, p, 'defaultErrnoRet', int(U32));
  opt(o, p, 'architectures', expectStringArray);
  opt(o, p, 'flags', expectStringArray);
  opt(o, p, 'listenerPath', expectString);
  opt(o, p, 'listenerMetadata', expectString);
  opt(
    o,
    p,
    'syscalls',
    arrayOf(
      objectWith((s, sp) => {
        const names = req(s, sp, 'names', expectStringArray);
        if (names.length === 0) fail(at(sp, 'names'), 'must list at least one syscall');
        names.forEach((n, i) => expectNonEmptyString(`${at(sp, 'names')}[${i}]`, n));
        req(s, sp, 'action', expectNonEmptyString);
        opt(s, sp, 'errnoRet', int(U32));
        opt(
          s,
          sp,
          'args',
          arrayOf(
            objectWith((a, ap) => {
              req(a, ap, 'index', int({ min: 0, max: 5 }));
              req(a, ap, 'value', int(U64));
              opt(a, ap, 'valueTwo', int(U64));
              req(a, ap, 'op', expectNonEmptyString);
            }),
          ),
        );
      }),
    ),
  );
}

function checkSysctl(p: string, v: unknown): Obj {
  const o = expectObject(p, v);
  for (const [k, x] of Object.entries(o)) expectString(at(p, k), x);
  return o;
}

function checkIntelRdt(o: Obj, p: string): void {
  const closID = opt(o, p, 'closID', expectString);
  if (closID !== undefined && (closID === '.' || closID === '..' || closID.includes('/'))) fail(at(p, 'closID'), `invalid resctrl group name "${closID}"`);
  opt(o, p, 'l3CacheSchema', expectString);
  opt(o, p, 'memBwSchema', expectString);
  opt(o, p, 'schemata', expectStringArray);
  for (const k of ['enableMonitoring', 'enableCMT', 'enableMBM']) opt(o, p, k, expectBool);
}

function checkLinux(o: Obj, p: string): NamespaceSet {
  const namespaces = opt(o, p, 'namespaces', checkNamespaces) ?? new Map();
  opt(o, p, 'uidMappings', checkIdMappings);
  opt(o, p, 'gidMappings', checkIdMappings);
  opt(o, p, 'timeOffsets', checkTimeOffsets);
  opt(o, p, 'devices', arrayOf(objectWith(checkDevice)));
  opt(o, p, 'cgroupsPath', expectString);
  opt(o, p, 'resources', objectWith(checkResources));
  // "" is Go's zero value: runc treats it as unset.
  if (o.rootfsPropagation === '') delete o.rootfsPropagation;
  opt(o, p, 'rootfsPropagation', oneOf(Object.keys(PROPAGATION_OPTIONS), 'propagation'));
  opt(o, p, 'seccomp', objectWith(checkSeccomp));
  opt(o, p, 'sysctl', checkSysctl);
  opt(o, p, 'maskedPaths', arrayOf(expectAbsPath));
  opt(o, p, 'readonlyPaths', arrayOf(expectAbsPath));
  opt(o, p, 'mountLabel', expectString);
  opt(
    o,
    p,
    'personality',
    objectWith((x, xp) => {
      req(x, xp, 'domain', oneOf(['LINUX', 'LINUX32'], 'personality domain'));
      opt(x, xp, 'flags', expectStringArray);
    }),
  );
  opt(o, p, 'intelRdt', objectWith(checkIntelRdt));
  return namespaces;
}

// ---------------------------------------------------------------------------------------------
// Rules that tie several fields together (runc's libcontainer/configs/validate, plus the kernel's
// own EINVAL cases turned into messages that say which field is at fault).

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** sysctl(8) allows '/' as separator; when the first separator is '/', the two swap roles. */
function sysctlDots(key: string): string {
  const first = key.search(/[./]/);
  if (first < 0 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** Only namespaced sysctls may be set, and only when the container has that namespace. */
function checkSysctlNamespaces(sysctl: Obj, ns: NamespaceSet): void {
  for (const key of Object.keys(sysctl)) {
    const p = at('linux.sysctl', key);
    const name = sysctlDots(key);
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
      if (!ns.has('ipc')) fail(p, 'needs an ipc namespace in linux.namespaces');
    } else if (name.startsWith('net.')) {
      if (!ns.has('network')) fail(p, 'needs a network namespace in linux.namespaces');
    } else if (name === 'kernel.domainname' && ns.has('uts')) {
      // namespaced, and there is no dedicated field for it
    } else if (name === 'kernel.hostname' && ns.has('uts')) {
      fail(p, 'use the "hostname" field instead');
    } else {
      fail(p, 'is not namespaced; it cannot be set for a container');
    }
  }
}

/** Is `id` inside one of the container-side ranges? */
function mapped(id: number, maps: Obj[]): boolean {
  return maps.some((m) => id >= (m.containerID as number) && id < (m.containerID as number) + (m.size as number));
}

function checkUserNamespace(spec: Obj, linux: Obj | undefined, ns: NamespaceSet): void {
  const uidMaps = linux?.uidMappings as Obj[] | undefined;
  const gidMaps = linux?.gidMappings as Obj[] | undefined;
  const userns = ns.get('user');
  if (!userns) {
    if (uidMaps) fail('linux.uidMappings', 'requires a user namespace in linux.namespaces');
    if (gidMaps) fail('linux.gidMappings', 'requires a user namespace in linux.namespaces');
    return;
  }
  // Joining an existing user namespace: its maps are already written; ours would only be a claim.
  if (userns.path !== undefined) return;
  if (!uidMaps || uidMaps.length === 0) fail('linux.uidMappings', 'required when creating a new user namespace');
  if (!gidMaps || gidMaps.length === 0) fail('linux.gidMappings', 'required when creating a new user namespace');
  // The process's ids must exist inside the namespace, or setuid/setgid/setgroups fail with EINVAL.
  const user = (spec.process as Obj | undefined)?.user as Obj | undefined;
  if (!user) return;
  if (!mapped(user.uid as number, uidMaps)) fail('process.user.uid', `${user.uid} is not mapped by linux.uidMappings`);
  if (!mapped(user.gid as number, gidMaps)) fail('process.user.gid', `${user.gid} is not mapped by linux.gidMappings`);
  ((user.additionalGids as number[] | undefined) ?? []).forEach((g, i) => {
    if (!mapped(g, gidMaps)) fail(`process.user.additionalGids[${i}]`, `${g} is not mapped by linux.gidMappings`);
  });
}

function checkCrossFields(spec: Obj, ns: NamespaceSet): void {
  const linux = spec.linux as Obj | undefined;
  checkUserNamespace(spec, linux, ns);
  if (linux?.timeOffsets !== undefined && Object.keys(linux.timeOffsets as Obj).length > 0) {
    const timens = ns.get('time');
    if (!timens) fail('linux.timeOffsets', 'requires a time namespace in linux.namespaces');
    if (timens.path !== undefined) fail('linux.timeOffsets', 'cannot be set when joining an existing time namespace (path is set)');
  }
  if (spec.hostname && !ns.has('uts')) fail('hostname', 'requires a uts namespace in linux.namespaces');
  if (spec.domainname && !ns.has('uts')) fail('domainname', 'requires a uts namespace in linux.namespaces');
  for (const key of ['maskedPaths', 'readonlyPaths']) {
    const paths = linux?.[key] as string[] | undefined;
    if (paths && paths.length > 0 && !ns.has('mount')) fail(`linux.${key}`, 'requires a mount namespace in linux.namespaces');
  }
  if (linux?.sysctl) checkSysctlNamespaces(linux.sysctl as Obj, ns);
}

// ---------------------------------------------------------------------------------------------

/** Checks a parsed config.json and returns a normalised copy (nulls in optional fields removed).
 *  Throws ConfigError naming the first offending field. The input is not modified. */
export function validateSpec(raw: unknown): Spec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HakoError(`config.json: must be a JSON object (got ${describe(raw)})`);
  }
  const spec = structuredClone(raw) as Obj;
  req(spec, '', 'ociVersion', expectNonEmptyString);
  req(spec, '', 'root', objectWith(checkRoot));
  req(spec, '', 'process', objectWith(checkProcess));
  const hostname = opt(spec, '', 'hostname', expectString);
  // sethostname(2) rejects more than HOST_NAME_MAX (64) bytes.
  if (hostname !== undefined && Buffer.byteLength(hostname) > 64) fail('hostname', 'must be at most 64 bytes long');
  const domainname = opt(spec, '', 'domainname', expectString);
  if (domainname !== undefined && Buffer.byteLength(domainname) > 64) fail('domainname', 'must be at most 64 bytes long');
  opt(spec, '', 'mounts', arrayOf(objectWith(checkMount)));
  opt(spec, '', 'hooks', objectWith(checkHooks));
  opt(spec, '', 'annotations', checkAnnotations);
  const ns = opt(spec, '', 'linux', (p, v) => checkLinux(expectObject(p, v), p)) ?? new Map();
  checkCrossFields(spec, ns);
  return spec as unknown as Spec;
}

/** Checks the process of an `exec` (from --process or built from flags) like config.json's. */
/** `source` names where the process came from in messages: `exec: process.cwd: …`. */
export function validateProcess(raw: unknown, source = 'config.json'): Process {
  return from(source, () => {
    const holder = structuredClone({ process: raw }) as Obj;
    req(holder, '', 'process', objectWith(checkProcess));
    return holder.process as unknown as Process;
  });
}

/** linux.resources given on their own (`update --resources FILE`): the same checks as in a
 *  config.json, so nothing of the wrong type reaches a cgroup file; fields are named from the top. */
export function validateResources(raw: unknown, source: string): Resources {
  return from(source, () => {
    const holder = structuredClone({ resources: raw }) as Obj;
    req(holder, '', 'resources', objectWith(checkResources));
    return holder.resources as Resources;
  });
}

/** Runs `fn`, saying `source` instead of config.json in its ConfigError. */
function from<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError && source !== 'config.json') throw new HakoError(`${source}: ${e.field}: ${e.problem}`);
    throw e;
  }
}

/** Parses and validates the text of a config.json. A JSON syntax error becomes one line
 *  `<file>: invalid JSON: <message> (line L, column C)`. */
export function parseConfigFile(text: string, file: string): Spec {
  let raw: unknown;
  try {
    raw = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    throw new HakoError(`${file}: invalid JSON: ${jsonErrorMessage(err, text)}`);
  }
  return validateSpec(raw);
}

/** V8's message, kept to one line, with the byte position turned into line and column. */
function jsonErrorMessage(err: unknown, text: string): string {
  let msg = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  const pos = /at position (\d+)/.exec(msg);
  if (pos) {
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    msg = msg.replace(/\s*\(line \d+ column \d+\)/, '') + ` (line ${line}, column ${column})`;
  }
  return msg;
}
