// Fake cgroupfs for unit tests (no root): a temp directory plus a CgroupIo that behaves like the
// kernel for the files the drivers touch.
//
// What it emulates: mkdir creates the pseudo-files of the hierarchy's controllers (v1) or of the
// controllers the parent enabled in cgroup.subtree_control (v2, also added to existing children when
// enabled later); writing a missing file fails with ENOENT (never creates it); value validation
// (EINVAL / ERANGE) for the files below; v1 memsw >= limit ordering; v1 cpuset: joining a cgroup
// with empty cpuset.cpus/mems fails with ENOSPC; v2 "no internal processes" (EBUSY); subtree_control
// only accepting controllers listed in cgroup.controllers (ENOENT); cgroup.freeze -> cgroup.events;
// cgroup.procs moves a pid between cgroups of one hierarchy; rmdir refuses (EBUSY) with children or
// processes, and removes the pseudo-files itself.
//
// What it cannot emulate: any enforcement or accounting (no OOM, throttling, freezing of real
// processes; usage files stay 0); pids never exit on their own; device numbers are not checked
// (real io.max / blkio throttles reject unknown devices with ENODEV); page-size rounding of memory
// values; threaded cgroups; cgroup.kill only empties cgroup.procs; delegation/permissions/nsdelegate;
// the 2-CPU/1-node topology is fixed; files that exist only on some kernels are whatever we create.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HakoError } from '../../../src/util/errors.js';
import type { CgroupIo } from '../../../src/cgroups/io.js';

export function errno(code: string, file: string): NodeJS.ErrnoException {
  const nums: Record<string, number> = { ENOENT: -2, EINVAL: -22, EBUSY: -16, ERANGE: -34, ENOSPC: -28, EEXIST: -17 };
  const e = new Error(`${code}: fake cgroupfs, write '${file}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = nums[code] ?? -1;
  return e;
}

const UNLIMITED_V1 = '9223372036854771712';
const NCPUS = 2;
const NMEMS = 1;

function checkList(value: string, limit: number, file: string): void {
  if (value === '') return;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(value)) throw errno('EINVAL', file);
  for (const part of value.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a! >= limit || (b !== undefined && (b >= limit || b < a!))) throw errno('EINVAL', file);
  }
}

abstract class FakeBase implements CgroupIo {
  readonly writes: { file: string; data: string }[] = [];
  readonly removed: string[] = [];

  constructor(readonly root: string) {}

  protected abstract populate(dir: string): void;
  protected abstract writeSpecial(file: string, name: string, data: string): boolean;

  protected put(file: string, content: string): void {
    if (!fs.existsSync(file)) fs.writeFileSync(file, content);
  }

  mkdir(dir: string): void {
    fs.mkdirSync(dir); // throws EEXIST / ENOENT like the real thing
    this.populate(dir);
  }

  rmdir(dir: string): void {
    if (!fs.existsSync(dir)) throw errno('ENOENT', dir);
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory())) throw errno('EBUSY', dir);
    if (fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() !== '') throw errno('EBUSY', dir);
    for (const e of entries) fs.unlinkSync(path.join(dir, e.name));
    fs.rmdirSync(dir);
    this.removed.push(dir);
  }

  read(file: string): string {
    return fs.readFileSync(file, 'utf8');
  }

  write(file: string, data: string): void {
    if (!fs.existsSync(file)) throw errno('ENOENT', file);
    this.writes.push({ file, data });
    if (!this.writeSpecial(file, path.basename(file), data)) fs.writeFileSync(file, data);
  }

  /** Writes recorded for files below `dirPrefix`, as "name=value" with the prefix stripped. */
  writesUnder(dirPrefix: string): string[] {
    return this.writes.filter((w) => w.file.startsWith(dirPrefix)).map((w) => `${w.file.slice(dirPrefix.length)}=${w.data}`);
  }

  /** Moves `pid` into `file`'s cgroup: removes it from every cgroup.procs below `hierarchyRoot`. */
  protected movePid(hierarchyRoot: string, file: string, data: string): void {
    if (!/^\d+$/.test(data.trim())) throw errno('EINVAL', file);
    const walk = (d: string): void => {
      const procs = path.join(d, 'cgroup.procs');
      const lines = fs
        .readFileSync(procs, 'utf8')
        .split('\n')
        .filter((l) => l && l !== data.trim());
      fs.writeFileSync(procs, lines.map((l) => `${l}\n`).join(''));
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(hierarchyRoot);
    fs.appendFileSync(file, `${data.trim()}\n`);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- v2

export interface FakeV2Options {
  controllers?: string[];
  swap?: boolean;
  bfq?: boolean;
}

export class FakeCgroup2 extends FakeBase {
  readonly swap: boolean;
  readonly bfq: boolean;

  constructor(opts: FakeV2Options = {}) {
    super(fs.mkdtempSync(path.join(os.tmpdir(), 'hako-fake-cg2-')));
    this.swap = opts.swap ?? true;
    this.bfq = opts.bfq ?? false;
    const ctrls = opts.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma'];
    fs.writeFileSync(path.join(this.root, 'cgroup.controllers'), `${ctrls.join(' ')}\n`);
    fs.writeFileSync(path.join(this.root, 'cgroup.subtree_control'), '');
    fs.writeFileSync(path.join(this.root, 'cgroup.procs'), '');
    fs.writeFileSync(path.join(this.root, 'cpu.stat'), 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n');
  }

  private words(file: string): string[] {
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean) : [];
  }

  protected populate(dir: string): void {
    const enabled = this.words(path.join(path.dirname(dir), 'cgroup.subtree_control'));
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), enabled.length ? `${enabled.join(' ')}\n` : '');
    const core: Record<string, string> = {
      'cgroup.subtree_control': '',
      'cgroup.procs': '',
      'cgroup.threads': '',
      'cgroup.events': 'populated 0\nfrozen 0\n',
      'cgroup.freeze': '0\n',
      'cgroup.kill': '',
      'cgroup.type': 'domain\n',
      'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
    };
    for (const [f, c] of Object.entries(core)) this.put(path.join(dir, f), c);
    for (const c of enabled) this.addControllerFiles(dir, c);
  }

  private addControllerFiles(dir: string, controller: string): void {
    const files: Record<string, Record<string, string>> = {
      cpu: { 'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n' },
      cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-1\n' },
      memory: {
        'memory.current': '0\n',
        'memory.min': '0\n',
        'memory.low': '0\n',
        'memory.high': 'max\n',
        'memory.max': 'max\n',
        'memory.peak': '0\n',
        'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
        'memory.stat': 'anon 0\n',
        ...(this.swap ? { 'memory.swap.current': '0\n', 'memory.swap.max': 'max\n' } : {}),
      },
      io: { 'io.weight': 'default 100\n', 'io.max': '', 'io.stat': '', ...(this.bfq ? { 'io.bfq.weight': 'default 100\n' } : {}) },
      pids: { 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n' },
      hugetlb: Object.fromEntries(
        ['2MB', '1GB'].flatMap((s) => [
          [`hugetlb.${s}.max`, 'max\n'],
          [`hugetlb.${s}.rsvd.max`, 'max\n'],
          [`hugetlb.${s}.current`, '0\n'],
        ]),
      ),
      rdma: { 'rdma.max': '', 'rdma.current': '' },
    };
    for (const [f, c] of Object.entries(files[controller] ?? {})) this.put(path.join(dir, f), c);
  }

  protected writeSpecial(file: string, name: string, data: string): boolean {
    const dir = path.dirname(file);
    const v = data.trim();
    const isMaxOrNum = /^(max|\d+)$/.test(v);
    switch (name) {
      case 'cgroup.subtree_control': {
        const own = this.words(path.join(dir, 'cgroup.controllers'));
        const enabled = new Set(this.words(file));
        for (const tok of v.split(/\s+/).filter(Boolean)) {
          const m = /^([+-])(\w+)$/.exec(tok);
          if (!m) throw errno('EINVAL', file);
          if (!own.includes(m[2]!)) throw errno('ENOENT', file);
          if (m[1] === '+' && dir !== this.root && this.words(path.join(dir, 'cgroup.procs')).length > 0) throw errno('EBUSY', file);
          if (m[1] === '+') enabled.add(m[2]!);
          else enabled.delete(m[2]!);
        }
        fs.writeFileSync(file, enabled.size ? `${[...enabled].join(' ')}\n` : '');
        // Existing children gain the newly enabled controllers (removal is not emulated).
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          if (!e.isDirectory()) continue;
          const child = path.join(dir, e.name);
          fs.writeFileSync(path.join(child, 'cgroup.controllers'), `${[...enabled].join(' ')}\n`);
          for (const c of enabled) this.addControllerFiles(child, c);
        }
        return true;
      }
      case 'cgroup.procs':
        if (dir !== this.root && this.words(path.join(dir, 'cgroup.subtree_control')).length > 0) throw errno('EBUSY', file);
        this.movePid(this.root, file, data);
        return true;
      case 'cgroup.freeze':
        if (v !== '0' && v !== '1') throw errno('EINVAL', file);
        fs.writeFileSync(file, `${v}\n`);
        fs.writeFileSync(path.join(dir, 'cgroup.events'), `populated 0\nfrozen ${v}\n`);
        return true;
      case 'cgroup.kill':
        if (v !== '1') throw errno('EINVAL', file);
        fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
        return true;
      case 'memory.max':
      case 'memory.low':
      case 'memory.high':
      case 'memory.min':
      case 'memory.swap.max':
      case 'pids.max':
        if (!isMaxOrNum) throw errno('EINVAL', file);
        return false;
      case 'cpu.weight':
        if (!/^\d+$/.test(v)) throw errno('EINVAL', file);
        if (Number(v) < 1 || Number(v) > 10000) throw errno('ERANGE', file);
        return false;
      case 'cpu.idle':
        if (v !== '0' && v !== '1') throw errno('EINVAL', file);
        return false;
      case 'cpu.max': {
        const m = /^(max|\d+)(?: (\d+))?$/.exec(v);
        if (!m) throw errno('EINVAL', file);
        const period = m[2] ?? this.read(file).trim().split(' ')[1];
        if (Number(period) < 1000 || Number(period) > 1000000) throw errno('EINVAL', file);
        if (m[1] !== 'max' && Number(m[1]) < 1000) throw errno('EINVAL', file); // quota >= 1ms
        fs.writeFileSync(file, `${m[1]} ${period}\n`);
        return true;
      }
      case 'cpuset.cpus':
        checkList(v, NCPUS, file);
        return false;
      case 'cpuset.mems':
        checkList(v, NMEMS, file);
        return false;
      case 'io.weight':
      case 'io.bfq.weight':
      case 'io.max':
        this.mergeKeyedLine(file, name, v);
        return true;
      default:
        if (/^hugetlb\.\w+\.(rsvd\.)?max$/.test(name) && !isMaxOrNum) throw errno('EINVAL', file);
        return false;
    }
  }

  /** io.weight / io.max keep one line per device ("default" for the weight's default). */
  private mergeKeyedLine(file: string, name: string, v: string): void {
    const lines = new Map<string, string>();
    for (const l of this.read(file).split('\n').filter(Boolean)) lines.set(l.split(' ')[0]!, l);
    if (name === 'io.max') {
      const m = /^(\d+:\d+)((?: (?:rbps|wbps|riops|wiops)=(?:max|\d+))+)$/.exec(v);
      if (!m) throw errno('EINVAL', file);
      const kv = new Map(
        (lines.get(m[1]!) ?? m[1]!)
          .split(' ')
          .slice(1)
          .map((p) => p.split('=') as [string, string]),
      );
      for (const p of m[2]!.trim().split(' ')) kv.set(p.split('=')[0]!, p.split('=')[1]!);
      lines.set(m[1]!, [m[1], ...[...kv].map(([k, x]) => `${k}=${x}`)].join(' '));
    } else {
      const m = /^(?:(default|\d+:\d+) )?(\d+)$/.exec(v);
      if (!m) throw errno('EINVAL', file);
      const max = name === 'io.bfq.weight' ? 1000 : 10000;
      if (Number(m[2]) < 1 || Number(m[2]) > max) throw errno('ERANGE', file);
      lines.set(m[1] ?? 'default', `${m[1] ?? 'default'} ${m[2]}`);
    }
    fs.writeFileSync(file, [...lines.values()].map((l) => `${l}\n`).join(''));
  }
}

// ---------------------------------------------------------------------------------------------- v1

export interface FakeV1Options {
  /** Hierarchy directory names; "a,b" also gets symlinks a and b. */
  hierarchies?: string[];
  /** Create memory.kmem.limit_in_bytes (kernels that still have it). */
  kmem?: boolean;
  /** A cgroup2 mount at <root>/unified (hybrid layout). */
  unified?: boolean;
}

export class FakeCgroup1 extends FakeBase {
  private readonly kmem: boolean;

  constructor(opts: FakeV1Options = {}) {
    super(fs.mkdtempSync(path.join(os.tmpdir(), 'hako-fake-cg1-')));
    this.kmem = opts.kmem ?? false;
    const hs = opts.hierarchies ?? ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls,net_prio', 'systemd'];
    for (const h of hs) {
      const dir = path.join(this.root, h);
      fs.mkdirSync(dir);
      for (const [f, c] of Object.entries({ 'cgroup.procs': '', tasks: '', 'cgroup.clone_children': '0\n' })) fs.writeFileSync(path.join(dir, f), c);
      if (h === 'cpuset') {
        fs.writeFileSync(path.join(dir, 'cpuset.cpus'), '0-1\n');
        fs.writeFileSync(path.join(dir, 'cpuset.mems'), '0\n');
      }
      if (h.includes(',')) for (const alias of h.split(',')) fs.symlinkSync(h, path.join(this.root, alias));
    }
    if (opts.unified ?? true) {
      fs.mkdirSync(path.join(this.root, 'unified'));
      fs.writeFileSync(path.join(this.root, 'unified', 'cgroup.controllers'), '');
    }
  }

  /** The hierarchy directory (below root) that holds `p`. */
  private hierarchyOf(p: string): string {
    return path.join(this.root, path.relative(this.root, p).split(path.sep)[0]!);
  }

  protected populate(dir: string): void {
    const controllers = path.basename(this.hierarchyOf(dir)).split(',');
    const files: Record<string, Record<string, string>> = {
      cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
      memory: {
        'memory.limit_in_bytes': `${UNLIMITED_V1}\n`,
        'memory.memsw.limit_in_bytes': `${UNLIMITED_V1}\n`,
        'memory.soft_limit_in_bytes': `${UNLIMITED_V1}\n`,
        'memory.swappiness': '60\n',
        'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
        'memory.usage_in_bytes': '0\n',
        'memory.max_usage_in_bytes': '0\n',
        'memory.failcnt': '0\n',
        'memory.memsw.usage_in_bytes': '0\n',
        'memory.kmem.tcp.limit_in_bytes': `${UNLIMITED_V1}\n`,
        ...(this.kmem ? { 'memory.kmem.limit_in_bytes': `${UNLIMITED_V1}\n` } : {}),
      },
      cpu: {
        'cpu.shares': '1024\n',
        'cpu.cfs_period_us': '100000\n',
        'cpu.cfs_quota_us': '-1\n',
        'cpu.cfs_burst_us': '0\n',
        'cpu.rt_period_us': '1000000\n',
        'cpu.rt_runtime_us': '0\n',
        'cpu.idle': '0\n',
        'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
      },
      cpuacct: { 'cpuacct.usage': '0\n', 'cpuacct.usage_user': '0\n', 'cpuacct.usage_sys': '0\n', 'cpuacct.stat': 'user 0\nsystem 0\n' },
      devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
      freezer: { 'freezer.state': 'THAWED\n' },
      blkio: {
        'blkio.bfq.weight': '100\n',
        'blkio.bfq.weight_device': '',
        'blkio.throttle.read_bps_device': '',
        'blkio.throttle.write_bps_device': '',
        'blkio.throttle.read_iops_device': '',
        'blkio.throttle.write_iops_device': '',
        'blkio.throttle.io_service_bytes_recursive': 'Total 0\n',
        'blkio.throttle.io_serviced_recursive': 'Total 0\n',
      },
      pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
      hugetlb: { 'hugetlb.2MB.limit_in_bytes': `${UNLIMITED_V1}\n` },
      net_cls: { 'net_cls.classid': '0\n' },
      net_prio: { 'net_prio.ifpriomap': 'lo 0\n' },
    };
    for (const [f, c] of Object.entries({ 'cgroup.procs': '', tasks: '', 'cgroup.clone_children': '0\n', notify_on_release: '0\n' }))
      this.put(path.join(dir, f), c);
    for (const c of controllers) for (const [f, content] of Object.entries(files[c] ?? {})) this.put(path.join(dir, f), content);
  }

  protected writeSpecial(file: string, name: string, data: string): boolean {
    const dir = path.dirname(file);
    const v = data.trim();
    const num = (f: string): number => Number(this.read(path.join(dir, f)).trim());
    switch (name) {
      case 'cgroup.procs': {
        // The v1 cpuset rule: a task cannot join a cpuset without cpus or mems.
        const cpus = path.join(dir, 'cpuset.cpus');
        if (fs.existsSync(cpus) && (this.read(cpus).trim() === '' || this.read(path.join(dir, 'cpuset.mems')).trim() === '')) throw errno('ENOSPC', file);
        this.movePid(this.hierarchyOf(file), file, data);
        return true;
      }
      case 'memory.limit_in_bytes':
      case 'memory.memsw.limit_in_bytes': {
        if (!/^(-1|\d+)$/.test(v)) throw errno('EINVAL', file);
        const value = v === '-1' ? Number(UNLIMITED_V1) : Number(v);
        // The kernel keeps memsw >= limit at all times.
        if (name === 'memory.limit_in_bytes' && value > num('memory.memsw.limit_in_bytes')) throw errno('EINVAL', file);
        if (name === 'memory.memsw.limit_in_bytes' && value < num('memory.limit_in_bytes')) throw errno('EINVAL', file);
        fs.writeFileSync(file, `${v === '-1' ? UNLIMITED_V1 : v}\n`);
        return true;
      }
      case 'memory.swappiness':
        if (!/^\d+$/.test(v) || Number(v) > 100) throw errno('EINVAL', file);
        return false;
      case 'memory.oom_control':
        if (v !== '0' && v !== '1') throw errno('EINVAL', file);
        fs.writeFileSync(file, `oom_kill_disable ${v}\nunder_oom 0\noom_kill 0\n`);
        return true;
      case 'cpu.shares':
        if (!/^\d+$/.test(v)) throw errno('EINVAL', file);
        fs.writeFileSync(file, `${Math.min(Math.max(Number(v), 2), 262144)}\n`); // clamps silently, like the kernel
        return true;
      case 'cpu.cfs_quota_us':
        if (!/^-?\d+$/.test(v) || (Number(v) !== -1 && Number(v) < 1000)) throw errno('EINVAL', file);
        return false;
      case 'cpu.cfs_period_us':
        if (!/^\d+$/.test(v) || Number(v) < 1000 || Number(v) > 1000000) throw errno('EINVAL', file);
        return false;
      case 'cpuset.cpus':
        checkList(v, NCPUS, file);
        return false;
      case 'cpuset.mems':
        checkList(v, NMEMS, file);
        return false;
      case 'freezer.state':
        if (v !== 'FROZEN' && v !== 'THAWED') throw errno('EINVAL', file);
        return false;
      case 'pids.max':
        if (!/^(max|\d+)$/.test(v)) throw errno('EINVAL', file);
        return false;
      case 'devices.allow':
      case 'devices.deny':
        if (!/^[abc] (\*|\d+):(\*|\d+) [rwm]{1,3}$/.test(v)) throw errno('EINVAL', file);
        return false;
      default:
        return false;
    }
  }
}

/** The message is a HakoError of exactly one line matching `re` (what users see). */
export function assertOneLineHakoError(fn: () => void, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HakoError, `not a HakoError: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `multi-line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}
