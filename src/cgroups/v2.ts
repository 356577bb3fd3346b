// cgroup v2 driver: one directory in the unified tree (<root>/<path>). Controllers must be enabled
// in cgroup.subtree_control of every ancestor before a child gets their files.
// The dev host is cgroup v1 hybrid: the integration tests run this driver on a pure v2 kernel in a
// VM (scripts/test-vm.sh), and its controller-less parts on the host's /sys/fs/cgroup/unified. See README.md.
import type { BlockIOResources, CpuResources, DeviceCgroup, MemoryResources, Resources } from '../oci/types.js';
import { HakoError } from '../util/errors.js';
import { checkPageSize, convertBlkioToIoWeight, convertSharesToWeight, convertSwapToV2, numToV2 } from './convert.js';
import { attachDeviceFilter, compileDeviceFilter, containerDeviceRules, type DeviceFilterAttacher } from './devices-bpf.js';
import {
  type CgroupIo,
  codeOf,
  collectPids,
  existsSync,
  parseFlatKeyed,
  parseLimit,
  readOptional,
  realIo,
  removeCgroupTree,
  removeCgroupTreeSteps,
  removeCreated,
  signalAll,
  strerror,
  writeError,
  writeOrThrow,
} from './io.js';
import { blocking, yielding, type WaitSteps } from './waits.js';
import { writeProcs } from './v1.js';
import type { BlkioDeviceStats, Cgroup, CgroupStats } from './types.js';

/** Device rules on v2: compiles the container's full rule list (deny all, `rules`, runc's default
 *  allowed devices) into a BPF_PROG_TYPE_CGROUP_DEVICE program (devices-bpf.ts) and, given `attach`
 *  and `dir`, attaches it to the cgroup. Bad rules throw before anything is attached.
 *  Rootless (euid != 0) the kernel refuses bpf(2); like runc in a user namespace that is a warning,
 *  not an error: an unprivileged user cannot create device nodes and only opens those whose file
 *  permissions let it anyway. Without rules of the container's own, silently. */
export function applyDevicesV2(rules: DeviceCgroup[] | undefined, dir?: string, attach?: DeviceFilterAttacher, warn: (m: string) => void = () => {}): void {
  const program = compileDeviceFilter(containerDeviceRules(rules));
  if (!attach || dir === undefined) return;
  try {
    attach(dir, program);
  } catch (err) {
    if (process.geteuid?.() !== 0 && /Operation not permitted/.test((err as Error).message)) {
      // Only the defaults (no rule of the container's own): nothing asked for is lost; a rootless
      // engine would otherwise print this on every container with a limit (runc skips it silently).
      if (!rules?.length) return;
      warn(`linux.resources.devices not enforced: ${(err as Error).message} (rootless)`);
      return;
    }
    throw err;
  }
}

/** v2 controller per part of `resources`, with the config field for error messages. Also rejects,
 *  before anything is written, what v2 cannot do at all. */
export function requiredV2Controllers(r: Resources): [controller: string, field: string][] {
  const need: [string, string][] = [];
  const c = r.cpu;
  if (c && (c.realtimePeriod || c.realtimeRuntime)) {
    throw new HakoError('cgroup cpu: realtimeRuntime/realtimePeriod are not supported on cgroup v2 (linux.resources.cpu)');
  }
  if (c && [c.shares, c.quota, c.period, c.burst, c.idle].some((v) => v !== undefined)) need.push(['cpu', 'cpu']);
  if (c && (c.cpus !== undefined || c.mems !== undefined)) need.push(['cpuset', c.cpus !== undefined ? 'cpu.cpus' : 'cpu.mems']);
  const m = r.memory;
  if (m && [m.limit, m.reservation, m.swap].some((v) => v !== undefined)) need.push(['memory', 'memory']);
  if (r.pids) need.push(['pids', 'pids']);
  const b = r.blockIO;
  if (
    b &&
    [b.weight, b.weightDevice, b.throttleReadBpsDevice, b.throttleWriteBpsDevice, b.throttleReadIOPSDevice, b.throttleWriteIOPSDevice].some(
      (v) => v !== undefined,
    )
  ) {
    need.push(['io', 'blockIO']);
  }
  if (r.hugepageLimits?.length) need.push(['hugetlb', 'hugepageLimits']);
  if (r.rdma && Object.keys(r.rdma).length) need.push(['rdma', 'rdma']);
  if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) {
    throw new HakoError('cgroup net_cls/net_prio: linux.resources.network needs the v1 net_cls/net_prio controllers, which cgroup v2 does not have');
  }
  for (const key of Object.keys(r.unified ?? {})) {
    if (!/^[A-Za-z0-9_]+\.[A-Za-z0-9_.-]+$/.test(key)) {
      throw new HakoError(`cgroup unified: '${key}' is not a cgroup file name (linux.resources.unified)`);
    }
    const controller = key.slice(0, key.indexOf('.'));
    if (controller !== 'cgroup') need.push([controller, `unified["${key}"]`]);
  }
  return need;
}

export class V2Cgroup implements Cgroup {
  readonly version = 2 as const;
  private readonly dir: string;
  private readonly attachDevices: DeviceFilterAttacher | undefined;

  /** `attachDevices` defaults to the real attacher (hako-init) on the real cgroupfs; a fake cgroupfs
   *  (unit tests) has no kernel to attach to, so there the program is only compiled (bad rules still
   *  fail) unless a test passes its own attacher. */
  constructor(
    readonly path: string,
    private readonly root: string,
    private readonly io: CgroupIo,
    private readonly warn: (m: string) => void,
    attachDevices?: DeviceFilterAttacher,
  ) {
    this.dir = root + path;
    this.attachDevices = attachDevices ?? (io === realIo ? attachDeviceFilter : undefined);
  }

  dirs(): Record<string, string> {
    return { '': this.dir };
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  create(resources: Resources = {}): void {
    if (!existsSync(`${this.root}/cgroup.controllers`)) {
      throw new HakoError(`cgroup: ${this.root} is not a cgroup v2 mount (no cgroup.controllers)`);
    }
    const need = requiredV2Controllers(resources);
    applyDevicesV2(resources.devices); // only compiles: bad rules fail before any mkdir
    const created: string[] = [];
    const enableFailures = new Map<string, string>();
    try {
      let parent = this.root;
      for (const seg of this.path.split('/').filter(Boolean)) {
        this.enableControllers(parent, enableFailures);
        const cur = `${parent}/${seg}`;
        if (!existsSync(cur)) {
          try {
            this.io.mkdir(cur);
            created.push(cur);
          } catch (err) {
            if (codeOf(err) !== 'EEXIST') throw new HakoError(`cgroup: creating ${cur}: ${strerror(err)}`);
          }
        }
        parent = cur;
      }
      this.checkControllers(need, enableFailures);
      // Before any process can join: the container never runs without its device filter.
      applyDevicesV2(resources.devices, this.dir, this.attachDevices, this.warn);
      this.apply(resources);
    } catch (err) {
      removeCreated(this.io, created);
      throw err;
    }
  }

  /** Enables in `dir`'s cgroup.subtree_control every controller `dir` has (as runc does, so stats
   *  work for all of them). All at once first; if the kernel refuses the batch, one by one, keeping
   *  each refusal to explain a missing controller later (e.g. EBUSY: `dir` holds processes, the v2
   *  "no internal processes" rule). */
  private enableControllers(dir: string, failures: Map<string, string>): void {
    const file = `${dir}/cgroup.subtree_control`;
    const available = words(this.io.read(`${dir}/cgroup.controllers`));
    const enabled = new Set(words(readOptional(this.io, file) ?? ''));
    const missing = available.filter((c) => !enabled.has(c));
    if (missing.length === 0) return;
    try {
      this.io.write(file, missing.map((c) => `+${c}`).join(' '));
      return;
    } catch {
      /* fall through to one by one */
    }
    // The kernel's words alone mislead here: with processes in `dir`, a domain controller is refused
    // with EBUSY, or with EOPNOTSUPP once a threaded one (cpuset, cpu, pids) went on before it.
    // (The root cgroup is exempt from that rule.)
    const procs = dir === this.root ? '' : (readOptional(this.io, `${dir}/cgroup.procs`) ?? '').trim();
    const why = procs === '' ? '' : ` (${dir} holds processes, and cgroup v2 gives controllers only to the children of a cgroup without any)`;
    for (const c of missing) {
      try {
        this.io.write(file, `+${c}`);
      } catch (err) {
        failures.set(c, `writing '+${c}' to ${file}: ${strerror(err)}${why}`);
      }
    }
  }

  private checkControllers(need: [string, string][], failures = new Map<string, string>()): void {
    if (need.length === 0) return;
    const have = new Set(words(readOptional(this.io, `${this.dir}/cgroup.controllers`) ?? ''));
    for (const [controller, field] of need) {
      if (have.has(controller)) continue;
      const why = failures.get(controller) ?? `it is not in the parent's cgroup.subtree_control (not delegated, or not in the kernel)`;
      throw new HakoError(`cgroup ${controller}: controller not available in ${this.dir} (needed for linux.resources.${field}): ${why}`);
    }
  }

  update(resources: Resources): void {
    this.checkControllers(requiredV2Controllers(resources));
    const m = resources.memory;
    if (m?.checkBeforeUpdate && m.limit !== undefined && m.limit > 0) {
      const usage = parseLimit(readOptional(this.io, `${this.dir}/memory.current`));
      if (usage !== undefined && m.limit < usage) {
        throw new HakoError(`cgroup memory: new limit ${m.limit} is below the current usage ${usage} (linux.resources.memory.checkBeforeUpdate)`);
      }
    }
    this.apply(resources);
  }

  private w(resource: string, file: string, value: string | number): void {
    writeOrThrow(this.io, resource, `${this.dir}/${file}`, String(value));
  }

  private apply(r: Resources): void {
    if (r.cpu?.cpus !== undefined) this.w('cpuset', 'cpuset.cpus', r.cpu.cpus);
    if (r.cpu?.mems !== undefined) this.w('cpuset', 'cpuset.mems', r.cpu.mems);
    // Device rules: set in create() only. update() leaves them, like v1 and runc (an update's rule
    // list would lack the linux.devices nodes the container was created with).
    this.applyMemory(r.memory);
    this.applyCpu(r.cpu);
    if (r.pids) this.w('pids', 'pids.max', r.pids.limit > 0 ? String(r.pids.limit) : 'max');
    this.applyIo(r.blockIO);
    for (const hp of r.hugepageLimits ?? []) {
      checkPageSize(hp.pageSize);
      this.w('hugetlb', `hugetlb.${hp.pageSize}.max`, hp.limit);
      // Reservation accounting (kernel >= 5.7): keep it in step, as runc does.
      if (existsSync(`${this.dir}/hugetlb.${hp.pageSize}.rsvd.max`)) this.w('hugetlb', `hugetlb.${hp.pageSize}.rsvd.max`, hp.limit);
    }
    for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
      const parts = [dev];
      if (lim.hcaHandles !== undefined) parts.push(`hca_handle=${lim.hcaHandles}`);
      if (lim.hcaObjects !== undefined) parts.push(`hca_object=${lim.hcaObjects}`);
      this.w('rdma', 'rdma.max', parts.join(' '));
    }
    // Last, so explicit unified values win over the converted ones (runc does the same).
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      const file = `${this.dir}/${key}`;
      if (!existsSync(file)) throw new HakoError(`cgroup unified: ${file} does not exist (linux.resources.unified["${key}"])`);
      writeOrThrow(this.io, 'unified', file, value);
    }
  }

  private applyMemory(m: MemoryResources | undefined): void {
    if (!m) return;
    const limit = m.limit ?? 0;
    const swap = m.swap ?? 0;
    const swapV2 = convertSwapToV2(swap, limit);
    let swapStr = numToV2(swapV2);
    if (swapStr === '' && swapV2 === 0 && swap > 0) swapStr = '0'; // memory == memory+swap: no swap
    // Never write '' to memory.swap.max: that would mean 0. Swap first, as runc does.
    if (swapStr !== '') {
      const file = `${this.dir}/memory.swap.max`;
      try {
        this.io.write(file, swapStr);
      } catch (err) {
        // No swap accounting (file absent): "unlimited" or "none" are satisfied anyway.
        if (!(codeOf(err) === 'ENOENT' && (swapStr === 'max' || swapStr === '0'))) throw writeError('memory', file, swapStr, err);
      }
    }
    const limitStr = numToV2(limit);
    if (limitStr !== '') this.w('memory', 'memory.max', limitStr);
    const low = numToV2(m.reservation);
    if (low !== '') this.w('memory', 'memory.low', low);
    if (m.kernel) this.warn('linux.resources.memory.kernel ignored: cgroup v2 has no kernel memory limit');
    if (m.kernelTCP) this.warn('linux.resources.memory.kernelTCP ignored: cgroup v2 has no kernel TCP memory limit');
    if (m.swappiness !== undefined && m.swappiness !== -1) this.warn('linux.resources.memory.swappiness ignored: cgroup v2 has no per-cgroup swappiness');
    if (m.disableOOMKiller) this.warn('linux.resources.memory.disableOOMKiller ignored: cgroup v2 cannot disable the OOM killer');
  }

  private applyCpu(c: CpuResources | undefined): void {
    if (!c) return;
    if (c.shares) this.w('cpu', 'cpu.weight', convertSharesToWeight(c.shares));
    if (c.quota || c.period) {
      // "quota period", "max period", or just "quota" (the kernel keeps its period).
      let value = c.quota && c.quota > 0 ? String(c.quota) : 'max';
      if (c.period) value += ` ${c.period}`;
      this.w('cpu', 'cpu.max', value);
    }
    if (c.burst !== undefined) this.w('cpu', 'cpu.max.burst', c.burst);
    if (c.idle !== undefined) this.w('cpu', 'cpu.idle', c.idle);
  }

  private applyIo(b: BlockIOResources | undefined): void {
    if (!b) return;
    // BFQ takes the v1 weight range as is; io.weight needs the 1..10000 conversion (runc).
    const bfq = existsSync(`${this.dir}/io.bfq.weight`);
    if (b.weight) {
      if (bfq) this.w('io', 'io.bfq.weight', b.weight);
      else this.w('io', 'io.weight', convertBlkioToIoWeight(b.weight));
    }
    if (b.leafWeight) this.warn('linux.resources.blockIO.leafWeight ignored: cgroup v2 has no leaf weight');
    for (const d of b.weightDevice ?? []) {
      if (d.weight === undefined) continue;
      if (bfq) this.w('io', 'io.bfq.weight', `${d.major}:${d.minor} ${d.weight}`);
      else this.w('io', 'io.weight', `${d.major}:${d.minor} ${convertBlkioToIoWeight(d.weight)}`);
    }
    const throttles: [keyof BlockIOResources, string][] = [
      ['throttleReadBpsDevice', 'rbps'],
      ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'],
      ['throttleWriteIOPSDevice', 'wiops'],
    ];
    for (const [field, key] of throttles) {
      for (const t of (b[field] as { major: number; minor: number; rate: number }[] | undefined) ?? []) {
        this.w('io', 'io.max', `${t.major}:${t.minor} ${key}=${t.rate > 0 ? t.rate : 'max'}`);
      }
    }
  }

  addProcess(pid: number): void {
    if (!existsSync(this.dir)) throw new HakoError(`cgroup: ${this.dir} does not exist (create it first)`);
    writeProcs(this.io, 'procs', this.dir, pid);
  }

  private frozenNow(): boolean {
    return parseFlatKeyed(readOptional(this.io, `${this.dir}/cgroup.events`)).get('frozen') === 1;
  }

  /** Writes cgroup.freeze and waits until cgroup.events reports the wanted state. */
  private *setFrozen(frozen: boolean): WaitSteps {
    this.w('freezer', 'cgroup.freeze', frozen ? '1' : '0');
    for (let i = 0; i < 1000; i++) {
      if (this.frozenNow() === frozen) return;
      yield i < 10 ? 1 : 10;
    }
    if (frozen) this.w('freezer', 'cgroup.freeze', '0');
    throw new HakoError(`cgroup freezer: ${this.dir}/cgroup.events did not report frozen ${frozen ? 1 : 0}${frozen ? '; thawed again' : ''}`);
  }

  freeze(): void {
    blocking(this.setFrozen(true));
  }

  thaw(): void {
    blocking(this.setFrozen(false));
  }

  freezeAsync(): Promise<void> {
    return yielding(this.setFrozen(true));
  }

  thawAsync(): Promise<void> {
    return yielding(this.setFrozen(false));
  }

  state(): 'frozen' | 'thawed' {
    return this.frozenNow() ? 'frozen' : 'thawed';
  }

  pids(): number[] {
    return collectPids(this.io, this.dir);
  }

  oomKills(): number {
    return parseFlatKeyed(readOptional(this.io, `${this.dir}/memory.events`)).get('oom_kill') ?? 0;
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const read = (file: string): string | undefined => readOptional(this.io, `${this.dir}/${file}`);
    const usage = parseLimit(read('memory.current'));
    if (usage !== undefined) {
      const events = parseFlatKeyed(read('memory.events'));
      out.memory = {
        usage,
        limit: parseLimit(read('memory.max')),
        maxUsage: parseLimit(read('memory.peak')),
        failcnt: events.get('max'),
        oomKills: events.get('oom_kill') ?? 0,
        swapUsage: parseLimit(read('memory.swap.current')),
      };
    }
    const cpu = read('cpu.stat');
    if (cpu !== undefined) {
      const s = parseFlatKeyed(cpu);
      out.cpu = {
        usageTotal: (s.get('usage_usec') ?? 0) * 1000,
        usageUser: (s.get('user_usec') ?? 0) * 1000,
        usageSystem: (s.get('system_usec') ?? 0) * 1000,
        periods: s.get('nr_periods') ?? 0,
        throttledPeriods: s.get('nr_throttled') ?? 0,
        throttledTime: (s.get('throttled_usec') ?? 0) * 1000,
      };
    }
    const current = parseLimit(read('pids.current'));
    if (current !== undefined) out.pids = { current, limit: parseLimit(read('pids.max')) };
    const io = read('io.stat');
    if (io !== undefined) out.blkio = { devices: parseIoStat(io) };
    return out;
  }

  killAll(signal: number): void {
    // cgroup.kill (kernel >= 5.14) kills the whole subtree atomically, no fork race.
    if (signal === 9 && existsSync(`${this.dir}/cgroup.kill`)) {
      this.w('kill', 'cgroup.kill', '1');
      return;
    }
    signalAll(this.pids(), signal);
  }

  async killAllAsync(signal: number): Promise<void> {
    this.killAll(signal); // no waits on v2
  }

  destroy(): void {
    removeCgroupTree(this.io, this.dir, 'v2');
  }

  destroyAsync(): Promise<void> {
    return yielding(removeCgroupTreeSteps(this.io, this.dir, 'v2'));
  }
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** io.stat lines: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
export function parseIoStat(text: string): BlkioDeviceStats[] {
  const out: BlkioDeviceStats[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = dev ? /^(\d+):(\d+)$/.exec(dev) : null;
    if (!m) continue;
    const kv = new Map(kvs.map((p) => p.split('=') as [string, string]));
    const n = (k: string): number => Number(kv.get(k) ?? 0);
    out.push({ major: Number(m[1]), minor: Number(m[2]), readBytes: n('rbytes'), writeBytes: n('wbytes'), readOps: n('rios'), writeOps: n('wios') });
  }
  return out;
}
