// cgroup v1 driver: one directory per mounted hierarchy (/sys/fs/cgroup/<controllers>/<path>).
// Also used for the "hybrid" layout (v1 controllers + an empty-ish cgroup2 at .../unified).
import fs from 'node:fs';
import path from 'node:path';
import type { BlockIOResources, CpuResources, DeviceCgroup, MemoryResources, Resources } from '../oci/types.js';
import { HakoError } from '../util/errors.js';
import { checkPageSize, deviceWrites } from './convert.js';
import { containerDeviceRules, emulateDeviceRules } from './devices-bpf.js';
import {
  type CgroupIo,
  codeOf,
  collectPids,
  existsSync,
  parseFlatKeyed,
  parseLimit,
  readOptional,
  removeCgroupTreeSteps,
  removeCreated,
  signalAll,
  strerror,
  writeError,
  writeOrThrow,
} from './io.js';
import { sleepMs } from '../util/sleep.js';
import { blocking, yielding, type WaitSteps } from './waits.js';
import type { BlkioDeviceStats, Cgroup, CgroupStats } from './types.js';

export interface Hierarchy {
  /** e.g. ['cpu', 'cpuacct'] or ['name=systemd'] */
  controllers: string[];
  /** where it is mounted, e.g. /sys/fs/cgroup/cpu,cpuacct */
  mount: string;
}

const V1_CONTROLLERS = new Set([
  'cpuset',
  'cpu',
  'cpuacct',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'blkio',
  'perf_event',
  'net_prio',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
  'debug',
]);

/** The v1 hierarchies mounted below `root`. Reads /proc/self/mountinfo (exact controller lists,
 *  e.g. here cpu and cpuacct are separate mounts); if no cgroup v1 mount is below `root` (a fake tree
 *  in tests), falls back to the directory names: "cpu,cpuacct", "systemd" -> name=systemd, symlinks
 *  deduplicated, directories holding cgroup.controllers (cgroup2) skipped. */
export function discoverV1Hierarchies(root: string, mountinfo = '/proc/self/mountinfo'): Hierarchy[] {
  const key = `${root}\0${mountinfo}`;
  const cached = discovered.get(key);
  if (cached) return cached;
  const fromMounts = hierarchiesFromMountinfo(readOr(mountinfo, ''), root);
  const found = fromMounts.length > 0 ? fromMounts : hierarchiesFromDirs(root);
  // The layout of a host's cgroup mounts does not change under a running process; a program that
  // embeds hako creates many containers and would otherwise parse mountinfo several times for each.
  if (fromMounts.length > 0) discovered.set(key, found);
  return found;
}
const discovered = new Map<string, Hierarchy[]>();

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function hierarchiesFromMountinfo(text: string, root: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' || !fields[4] || !superOpts) continue;
    const mount = fields[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mount !== root && !mount.startsWith(root.endsWith('/') ? root : `${root}/`)) continue;
    const controllers = superOpts.split(',').filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
    const key = [...controllers].sort().join(',');
    if (controllers.length === 0 || seen.has(key)) continue; // bind mounts of the same hierarchy
    seen.add(key);
    out.push({ controllers, mount });
  }
  return out;
}

function hierarchiesFromDirs(root: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  const seen = new Set<string>();
  let entries: string[];
  try {
    entries = fs.readdirSync(root).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = path.join(root, name);
    let real: string;
    try {
      if (!fs.statSync(p).isDirectory()) continue;
      real = fs.realpathSync(p);
    } catch {
      continue;
    }
    if (seen.has(real) || existsSync(path.join(real, 'cgroup.controllers'))) continue;
    const controllers = path
      .basename(real)
      .split(',')
      .map((c) => (c === 'systemd' ? 'name=systemd' : c));
    if (!controllers.every((c) => V1_CONTROLLERS.has(c) || c.startsWith('name='))) continue;
    seen.add(real);
    out.push({ controllers, mount: real });
  }
  return out;
}

/** Which controller each part of `resources` needs, with the config field for error messages. */
export function requiredV1Controllers(r: Resources): [controller: string, field: string][] {
  const need: [string, string][] = [];
  const c = r.cpu;
  if (c && [c.shares, c.quota, c.period, c.burst, c.realtimePeriod, c.realtimeRuntime, c.idle].some((v) => v !== undefined)) need.push(['cpu', 'cpu']);
  if (c && (c.cpus !== undefined || c.mems !== undefined)) need.push(['cpuset', c.cpus !== undefined ? 'cpu.cpus' : 'cpu.mems']);
  if (r.memory && Object.values(r.memory).some((v) => v !== undefined)) need.push(['memory', 'memory']);
  if (r.pids) need.push(['pids', 'pids']);
  if (r.blockIO && Object.values(r.blockIO).some((v) => v !== undefined)) need.push(['blkio', 'blockIO']);
  if (r.hugepageLimits?.length) need.push(['hugetlb', 'hugepageLimits']);
  if (r.network?.classID !== undefined) need.push(['net_cls', 'network.classID']);
  if (r.network?.priorities?.length) need.push(['net_prio', 'network.priorities']);
  if (r.devices?.length) need.push(['devices', 'devices']);
  if (r.rdma && Object.keys(r.rdma).length) need.push(['rdma', 'rdma']);
  return need;
}

export class V1Cgroup implements Cgroup {
  readonly version = 1 as const;

  constructor(
    readonly path: string,
    private readonly root: string,
    private readonly hierarchies: Hierarchy[],
    private readonly io: CgroupIo,
    private readonly warn: (m: string) => void,
  ) {}

  /** Hybrid hosts: the cgroup2 hierarchy at <root>/unified. It has no controllers, but systemd and
   *  cgroup2-aware tools look there, and runc puts the container in it too. */
  private unified(): Hierarchy | undefined {
    const mount = `${this.root}/unified`;
    return existsSync(`${mount}/cgroup.controllers`) ? { controllers: ['unified'], mount } : undefined;
  }

  private hierarchy(controller: string): Hierarchy | undefined {
    return this.hierarchies.find((h) => h.controllers.includes(controller));
  }

  private dirOf(h: Hierarchy): string {
    return h.mount + this.path;
  }

  /** The directory for `controller`, or a HakoError naming the missing controller. */
  private need(controller: string, field: string): string {
    const h = this.hierarchy(controller);
    if (!h) throw new HakoError(`cgroup ${controller}: controller is not mounted under ${this.root} (needed for linux.resources.${field})`);
    return this.dirOf(h);
  }

  dirs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const h of this.hierarchies) for (const c of h.controllers) out[c] = this.dirOf(h);
    return out;
  }

  exists(): boolean {
    return this.hierarchies.some((h) => existsSync(this.dirOf(h)));
  }

  create(resources: Resources = {}): void {
    this.validate(resources);
    if (this.hierarchies.length === 0) throw new HakoError(`cgroup: no cgroup v1 hierarchy is mounted under ${this.root}`);
    const created: string[] = [];
    try {
      for (const h of this.hierarchies) {
        this.mkdirAll(h, created);
        if (h.controllers.includes('cpuset')) this.inheritCpuset(h);
      }
      const unified = this.unified();
      if (unified) {
        // Best effort, as runc: the limits live in the v1 hierarchies.
        try {
          this.mkdirAll(unified, created);
        } catch (err) {
          this.warn(`${(err as Error).message} (hybrid cgroup2 hierarchy; continuing without it)`);
        }
      }
      this.apply(resources, true);
    } catch (err) {
      removeCreated(this.io, created);
      throw err;
    }
  }

  update(resources: Resources): void {
    this.validate(resources);
    const m = resources.memory;
    if (m?.checkBeforeUpdate && m.limit !== undefined && m.limit > 0) {
      const usage = parseLimit(readOptional(this.io, `${this.need('memory', 'memory')}/memory.usage_in_bytes`));
      if (usage !== undefined && m.limit < usage) {
        throw new HakoError(`cgroup memory: new limit ${m.limit} is below the current usage ${usage} (linux.resources.memory.checkBeforeUpdate)`);
      }
    }
    this.apply(resources, false);
  }

  /** Checks, before anything is written, that each controller the config asks for is mounted. */
  private validate(r: Resources): void {
    for (const [controller, field] of requiredV1Controllers(r)) this.need(controller, field);
    // runc's v1 driver replays the rules on its emulator and refuses what the kernel would silently
    // get wrong (a hole punched in a wildcard rule, an exception allowing nothing); so do we.
    if (r.devices) emulateDeviceRules(containerDeviceRules(r.devices));
    const unified = Object.keys(r.unified ?? {});
    if (unified.length > 0) {
      throw new HakoError(`cgroup unified: key '${unified[0]}' needs cgroup v2, but ${this.root} uses cgroup v1 (linux.resources.unified)`);
    }
  }

  private mkdirAll(h: Hierarchy, created: string[]): void {
    let cur = h.mount;
    for (const seg of this.path.split('/').filter(Boolean)) {
      cur = `${cur}/${seg}`;
      if (existsSync(cur)) continue;
      try {
        this.io.mkdir(cur);
        created.push(cur);
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw new HakoError(`cgroup ${h.controllers.join(',')}: creating ${cur}: ${strerror(err)}`);
      }
    }
  }

  /** A new v1 cpuset cgroup starts with empty cpuset.cpus/mems, and no process can join it until
   *  both are set: copy them from the parent at every level that is still empty (as runc does). */
  private inheritCpuset(h: Hierarchy): void {
    let parent = h.mount;
    for (const seg of this.path.split('/').filter(Boolean)) {
      const cur = `${parent}/${seg}`;
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (this.io.read(`${cur}/${file}`).trim() !== '') continue;
        writeOrThrow(this.io, 'cpuset', `${cur}/${file}`, this.io.read(`${parent}/${file}`).trim());
      }
      parent = cur;
    }
  }

  /** Writes in runc's subsystem order (cpuset, devices, memory, cpu, pids, blkio, hugetlb, net_*). */
  private apply(r: Resources, creating: boolean): void {
    this.applyCpuset(r.cpu);
    // Device rules are written only at creation: rewriting them on a live container would deny
    // every device for a moment ("a" first). runc's update command does not change them either.
    if (creating) this.applyDevices(r.devices);
    this.applyMemory(r.memory);
    this.applyCpu(r.cpu);
    if (r.pids) {
      const limit = r.pids.limit > 0 ? String(r.pids.limit) : 'max'; // 0 and -1 mean unlimited
      writeOrThrow(this.io, 'pids', `${this.need('pids', 'pids')}/pids.max`, limit);
    }
    this.applyBlkio(r.blockIO);
    for (const hp of r.hugepageLimits ?? []) {
      checkPageSize(hp.pageSize);
      writeOrThrow(this.io, 'hugetlb', `${this.need('hugetlb', 'hugepageLimits')}/hugetlb.${hp.pageSize}.limit_in_bytes`, String(hp.limit));
    }
    if (r.network?.classID !== undefined) {
      writeOrThrow(this.io, 'net_cls', `${this.need('net_cls', 'network.classID')}/net_cls.classid`, String(r.network.classID));
    }
    for (const p of r.network?.priorities ?? []) {
      writeOrThrow(this.io, 'net_prio', `${this.need('net_prio', 'network.priorities')}/net_prio.ifpriomap`, `${p.name} ${p.priority}`);
    }
    for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
      const parts = [dev];
      if (lim.hcaHandles !== undefined) parts.push(`hca_handle=${lim.hcaHandles}`);
      if (lim.hcaObjects !== undefined) parts.push(`hca_object=${lim.hcaObjects}`);
      writeOrThrow(this.io, 'rdma', `${this.need('rdma', 'rdma')}/rdma.max`, parts.join(' '));
    }
  }

  private applyCpuset(c: CpuResources | undefined): void {
    if (c?.cpus !== undefined) writeOrThrow(this.io, 'cpuset', `${this.need('cpuset', 'cpu.cpus')}/cpuset.cpus`, c.cpus);
    if (c?.mems !== undefined) writeOrThrow(this.io, 'cpuset', `${this.need('cpuset', 'cpu.mems')}/cpuset.mems`, c.mems);
  }

  /** Default-deny plus the config's rules plus runc's default allowed devices. Skipped silently
   *  when the devices controller is absent and the config has no rules. */
  private applyDevices(rules: DeviceCgroup[] | undefined): void {
    const h = this.hierarchy('devices');
    if (!h) {
      if (rules?.length) this.need('devices', 'devices');
      return;
    }
    const dir = this.dirOf(h);
    for (const w of deviceWrites(rules)) writeOrThrow(this.io, 'devices', `${dir}/${w.file}`, w.value);
  }

  private applyMemory(m: MemoryResources | undefined): void {
    if (!m || !Object.values(m).some((v) => v !== undefined)) return;
    const dir = this.need('memory', 'memory');
    const w = (file: string, value: number | string): void => writeOrThrow(this.io, 'memory', `${dir}/${file}`, String(value));
    const limitFile = 'memory.limit_in_bytes';
    const memswFile = 'memory.memsw.limit_in_bytes';
    const limit = m.limit ?? 0; // 0 = unset, -1 = unlimited
    let swap = m.swap ?? 0; // memory+swap
    if (limit === -1 && swap === 0 && existsSync(`${dir}/${memswFile}`)) swap = -1; // unlimited memory: unlimited swap too
    // The kernel requires memsw >= limit at every moment, so the order depends on the direction.
    if (limit !== 0 && swap !== 0) {
      const current = Number(this.io.read(`${dir}/${limitFile}`).trim());
      if (swap === -1 || current < swap) {
        w(memswFile, swap);
        w(limitFile, limit);
      } else {
        w(limitFile, limit);
        w(memswFile, swap);
      }
    } else {
      if (limit !== 0) w(limitFile, limit);
      if (swap !== 0) w(memswFile, swap);
    }
    if (m.reservation) w('memory.soft_limit_in_bytes', m.reservation);
    if (m.kernel) this.writeOptionalKmem(dir, 'memory.kmem.limit_in_bytes', m.kernel, 'kernel');
    if (m.kernelTCP) this.writeOptionalKmem(dir, 'memory.kmem.tcp.limit_in_bytes', m.kernelTCP, 'kernelTCP');
    if (m.swappiness !== undefined && m.swappiness !== -1) {
      if (!(m.swappiness >= 0 && m.swappiness <= 100)) {
        throw new HakoError(`cgroup memory: swappiness ${m.swappiness} is outside 0-100 (linux.resources.memory.swappiness)`);
      }
      w('memory.swappiness', m.swappiness);
    }
    if (m.disableOOMKiller) w('memory.oom_control', '1');
  }

  /** Kernel memory limits are deprecated; newer kernels lack the files or refuse writes. Like runc,
   *  that is a warning, not a failure. */
  private writeOptionalKmem(dir: string, file: string, value: number, field: string): void {
    const full = `${dir}/${file}`;
    if (!existsSync(full)) {
      this.warn(`linux.resources.memory.${field} ignored: this kernel has no ${file}`);
      return;
    }
    try {
      this.io.write(full, String(value));
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOTSUPP' || code === 'EOPNOTSUPP' || code === 'ENOTSUP') {
        this.warn(`linux.resources.memory.${field} ignored: writing ${full}: ${strerror(err)}`);
        return;
      }
      throw writeError('memory', full, String(value), err);
    }
  }

  private applyCpu(c: CpuResources | undefined): void {
    if (!c || ![c.shares, c.quota, c.period, c.burst, c.realtimePeriod, c.realtimeRuntime, c.idle].some((v) => v !== undefined)) return;
    const dir = this.need('cpu', 'cpu');
    const w = (file: string, value: number): void => writeOrThrow(this.io, 'cpu', `${dir}/${file}`, String(value));
    if (c.realtimePeriod) w('cpu.rt_period_us', c.realtimePeriod);
    if (c.realtimeRuntime) w('cpu.rt_runtime_us', c.realtimeRuntime);
    if (c.shares) {
      w('cpu.shares', c.shares);
      // The kernel clamps silently to [2, 262144]; a clamped value is a config error for runc too.
      const got = Number(this.io.read(`${dir}/cpu.shares`).trim());
      if (got !== c.shares) {
        throw new HakoError(
          `cgroup cpu: cpu.shares ${c.shares} is ${c.shares > got ? 'above the maximum' : 'below the minimum'} ${got} (linux.resources.cpu.shares)`,
        );
      }
    }
    // A smaller period can be refused (EINVAL) while the old quota is in place; runc then sets the
    // quota first and retries the period.
    let retryPeriod = false;
    if (c.period) {
      try {
        this.io.write(`${dir}/cpu.cfs_period_us`, String(c.period));
      } catch (err) {
        if (codeOf(err) !== 'EINVAL' || !c.quota) throw writeError('cpu', `${dir}/cpu.cfs_period_us`, String(c.period), err);
        retryPeriod = true;
      }
    }
    if (c.quota) {
      w('cpu.cfs_quota_us', c.quota);
      if (retryPeriod) w('cpu.cfs_period_us', c.period!);
    }
    if (c.burst !== undefined) w('cpu.cfs_burst_us', c.burst);
    if (c.idle !== undefined) w('cpu.idle', c.idle);
  }

  private applyBlkio(b: BlockIOResources | undefined): void {
    if (!b || !Object.values(b).some((v) => v !== undefined)) return;
    const dir = this.need('blkio', 'blockIO');
    const w = (file: string, value: string): void => writeOrThrow(this.io, 'blkio', `${dir}/${file}`, value);
    // Kernels without CFQ (>= 5.0) only have BFQ's files; runc falls back the same way.
    const weightFile = existsSync(`${dir}/blkio.weight`) ? 'blkio.weight' : 'blkio.bfq.weight';
    const weightDeviceFile = existsSync(`${dir}/blkio.weight_device`) ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
    if (b.weight) w(weightFile, String(b.weight));
    if (b.leafWeight) w('blkio.leaf_weight', String(b.leafWeight));
    for (const d of b.weightDevice ?? []) {
      if (d.weight !== undefined) w(weightDeviceFile, `${d.major}:${d.minor} ${d.weight}`);
      if (d.leafWeight !== undefined) w('blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
    }
    const throttles: [keyof BlockIOResources, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    for (const [field, file] of throttles) {
      for (const t of (b[field] as { major: number; minor: number; rate: number }[] | undefined) ?? []) {
        w(file, `${t.major}:${t.minor} ${t.rate}`);
      }
    }
  }

  addProcess(pid: number): void {
    let joined = 0;
    for (const h of this.hierarchies) {
      // No exists() probe first: the write fails with ENOENT for a hierarchy without this cgroup.
      if (writeProcs(this.io, h.controllers.join(','), this.dirOf(h), pid, { missingOk: true })) joined++;
    }
    if (joined === 0) throw new HakoError(`cgroup: ${this.path} does not exist under ${this.root} (create it first)`);
    const unified = this.unified();
    if (unified) {
      try {
        writeProcs(this.io, 'unified', this.dirOf(unified), pid, { missingOk: true });
      } catch {
        /* best effort: see create */
      }
    }
  }

  freeze(): void {
    blocking(this.freezeSteps());
  }

  thaw(): void {
    blocking(this.thawSteps());
  }

  freezeAsync(): Promise<void> {
    return yielding(this.freezeSteps());
  }

  thawAsync(): Promise<void> {
    return yielding(this.thawSteps());
  }

  private *freezeSteps(): WaitSteps {
    const file = `${this.need('freezer', 'freezer')}/freezer.state`;
    let state = '';
    // Same loop as runc: FREEZING means some task has not stopped yet; write FROZEN again, and now
    // and then thaw briefly so a task stuck in vfork() or similar can get out of the way.
    for (let i = 0; i < 1000; i++) {
      if (i % 25 === 24) {
        writeOrThrow(this.io, 'freezer', file, 'THAWED');
        yield 10;
      }
      writeOrThrow(this.io, 'freezer', file, 'FROZEN');
      state = this.io.read(file).trim();
      if (state === 'FROZEN') return;
      yield i < 10 ? 1 : 10;
    }
    writeOrThrow(this.io, 'freezer', file, 'THAWED');
    throw new HakoError(`cgroup freezer: ${file} did not reach FROZEN (still ${state}); thawed again`);
  }

  private *thawSteps(): WaitSteps {
    const file = `${this.need('freezer', 'freezer')}/freezer.state`;
    writeOrThrow(this.io, 'freezer', file, 'THAWED');
    for (let i = 0; i < 1000 && this.io.read(file).trim() !== 'THAWED'; i++) yield i < 10 ? 1 : 10;
  }

  state(): 'frozen' | 'thawed' {
    const h = this.hierarchy('freezer');
    if (!h) return 'thawed';
    return readOptional(this.io, `${this.dirOf(h)}/freezer.state`)?.trim() === 'FROZEN' ? 'frozen' : 'thawed';
  }

  /** pids from one hierarchy: every process was added to all of them; prefer pids/freezer/memory. */
  pids(): number[] {
    for (const c of ['pids', 'freezer', 'memory', 'cpu', 'devices', 'name=systemd']) {
      const h = this.hierarchy(c);
      if (h && existsSync(this.dirOf(h))) return collectPids(this.io, this.dirOf(h));
    }
    const h = this.hierarchies.find((x) => existsSync(this.dirOf(x)));
    return h ? collectPids(this.io, this.dirOf(h)) : [];
  }

  oomKills(): number {
    const h = this.hierarchy('memory');
    if (!h) return 0;
    return parseFlatKeyed(readOptional(this.io, `${this.dirOf(h)}/memory.oom_control`)).get('oom_kill') ?? 0;
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const read = (controller: string, file: string): string | undefined => {
      const h = this.hierarchy(controller);
      return h ? readOptional(this.io, `${this.dirOf(h)}/${file}`) : undefined;
    };
    const num = (controller: string, file: string): number | undefined => parseLimit(read(controller, file));
    const usage = num('memory', 'memory.usage_in_bytes');
    if (usage !== undefined) {
      const memsw = num('memory', 'memory.memsw.usage_in_bytes');
      out.memory = {
        usage,
        limit: num('memory', 'memory.limit_in_bytes'),
        maxUsage: num('memory', 'memory.max_usage_in_bytes'),
        failcnt: num('memory', 'memory.failcnt'),
        oomKills: this.oomKills(),
        swapUsage: memsw !== undefined ? Math.max(0, memsw - usage) : undefined,
      };
    }
    const total = num('cpuacct', 'cpuacct.usage');
    if (total !== undefined) {
      let user = num('cpuacct', 'cpuacct.usage_user');
      let system = num('cpuacct', 'cpuacct.usage_sys');
      if (user === undefined || system === undefined) {
        // Older kernels: cpuacct.stat in USER_HZ ticks (100 per second on Linux).
        const st = parseFlatKeyed(read('cpuacct', 'cpuacct.stat'));
        user = (st.get('user') ?? 0) * 1e7;
        system = (st.get('system') ?? 0) * 1e7;
      }
      const cs = parseFlatKeyed(read('cpu', 'cpu.stat'));
      out.cpu = {
        usageTotal: total,
        usageUser: user,
        usageSystem: system,
        periods: cs.get('nr_periods') ?? 0,
        throttledPeriods: cs.get('nr_throttled') ?? 0,
        throttledTime: cs.get('throttled_time') ?? 0,
      };
    }
    const pidsCurrent = num('pids', 'pids.current');
    if (pidsCurrent !== undefined) out.pids = { current: pidsCurrent, limit: num('pids', 'pids.max') };
    const bytes = read('blkio', 'blkio.throttle.io_service_bytes_recursive');
    if (bytes !== undefined) out.blkio = { devices: parseV1Blkio(bytes, read('blkio', 'blkio.throttle.io_serviced_recursive') ?? '') };
    return out;
  }

  killAll(signal: number): void {
    blocking(this.killAllSteps(signal));
  }

  killAllAsync(signal: number): Promise<void> {
    return yielding(this.killAllSteps(signal));
  }

  private *killAllSteps(signal: number): WaitSteps {
    // For SIGKILL freeze first (as runc does) so nothing can fork a new child between our reading
    // cgroup.procs and the signals arriving; killed tasks die when thawed.
    const freezer = signal === 9 && this.hierarchy('freezer') && existsSync(`${this.need('freezer', 'freezer')}/freezer.state`);
    if (freezer) {
      try {
        yield* this.freezeSteps();
      } catch {
        /* kill anyway */
      }
    }
    try {
      signalAll(this.pids(), signal);
    } finally {
      if (freezer) yield* this.thawSteps();
    }
  }

  destroy(): void {
    blocking(this.destroySteps());
  }

  destroyAsync(): Promise<void> {
    return yielding(this.destroySteps());
  }

  private *destroySteps(): WaitSteps {
    let first: unknown;
    const unified = this.unified();
    for (const h of unified ? [...this.hierarchies, unified] : this.hierarchies) {
      try {
        yield* removeCgroupTreeSteps(this.io, this.dirOf(h), h.controllers.join(','));
      } catch (err) {
        first ??= err;
      }
    }
    if (first) throw first;
  }
}

/** Writes a pid to cgroup.procs; EINVAL can mean the task is still being created (TASK_NEW), which
 *  runc retries a few times. */
export function writeProcs(io: CgroupIo, resource: string, dir: string, pid: number, opts: { missingOk?: boolean } = {}): boolean {
  const file = `${dir}/cgroup.procs`;
  for (let attempt = 0; ; attempt++) {
    try {
      io.write(file, String(pid));
      return true;
    } catch (err) {
      if (opts.missingOk && codeOf(err) === 'ENOENT') return false;
      if (codeOf(err) === 'EINVAL' && attempt < 5) {
        sleepMs(30);
        continue;
      }
      throw writeError(resource, file, String(pid), err);
    }
  }
}

/** blkio.throttle.io_service_bytes_recursive ("8:0 Read 123") + io_serviced_recursive. */
function parseV1Blkio(bytes: string, ops: string): BlkioDeviceStats[] {
  const devices = new Map<string, BlkioDeviceStats>();
  const add = (text: string, readKey: 'readBytes' | 'readOps', writeKey: 'writeBytes' | 'writeOps'): void => {
    for (const line of text.split('\n')) {
      const m = /^(\d+):(\d+) (Read|Write) (\d+)$/.exec(line.trim());
      if (!m) continue;
      const key = `${m[1]}:${m[2]}`;
      let d = devices.get(key);
      if (!d) {
        d = { major: Number(m[1]), minor: Number(m[2]), readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
        devices.set(key, d);
      }
      d[m[3] === 'Read' ? readKey : writeKey] = Number(m[4]);
    }
  };
  add(bytes, 'readBytes', 'writeBytes');
  add(ops, 'readOps', 'writeOps');
  return [...devices.values()];
}
