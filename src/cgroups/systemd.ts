// The systemd cgroup driver (runc's --systemd-cgroup): the container's cgroup is a transient scope
// unit that systemd creates around the container's first process (StartTransientUnit with the
// resource properties; systemd refuses an empty scope, so this happens in place(), not create()),
// then the v1 or v2 cgroupfs driver on the scope's directory writes everything (what systemd has no
// property for, and the rest again, as runc's fs managers do after systemd's) and joins the v1
// hierarchies systemd does not manage. Freezing, stats, pids and signals are plain cgroupfs;
// destroyAsync() stops the unit. Resources go to systemd as well as to the files because systemd
// re-applies its own view of a unit (on daemon-reload, on any property change).
import type { Resources } from '../oci/types.js';
import { HakoError } from '../util/errors.js';
import { DBusError } from '../util/dbus.js';
import type { Cgroup, CgroupStats } from './types.js';
import { SystemdBus } from './systemd-bus.js';
import { resourceProperties, scopeProperties, type SystemdScope, type UnitProperty } from './systemd-props.js';

export type SystemdConnect = () => Promise<SystemdBus>;

export class SystemdCgroup implements Cgroup {
  readonly version: 1 | 2;
  readonly path: string;
  private resources: Resources = {};
  /** Whether this handle's place() started the scope: false after a failed start (a unit of that
   *  name may be another container's, which this handle must then neither see, kill nor stop),
   *  undefined when the handle was opened for a container made earlier. */
  private started: boolean | undefined;

  constructor(
    readonly scope: SystemdScope,
    private readonly inner: Cgroup,
    private readonly connect: SystemdConnect = SystemdBus.connect,
  ) {
    this.version = inner.version;
    this.path = scope.cgroupPath;
  }

  /** Checks the resources (every conversion error before systemd is asked anything); the scope
   *  itself is made by place(). */
  create(resources: Resources = {}): void {
    resourceProperties(resources, this.version);
    this.resources = resources;
  }

  /** Starts the scope with `pid` in it, then writes the resources through cgroupfs; on a failure
   *  after the start the unit is stopped again. */
  async place(pid: number): Promise<void> {
    const { props, resources } = resourceProperties(this.resources, this.version);
    this.started = false;
    const bus = await this.connect();
    try {
      await this.startScope(bus, [...scopeProperties(this.scope, pid, this.version, `hako container ${this.scope.name}`), ...props]);
      this.started = true;
      try {
        this.inner.create(resources);
        this.inner.addProcess(pid);
      } catch (e) {
        await bus.stopUnit(this.scope.unit).catch(() => {});
        await bus.resetFailedUnit(this.scope.unit).catch(() => {});
        throw e;
      }
    } finally {
      bus.close();
    }
  }

  /** A unit of that name that is left over failed is reset and the start tried once more (runc). */
  private async startScope(bus: SystemdBus, props: UnitProperty[]): Promise<void> {
    const { unit } = this.scope;
    try {
      await bus.startTransientUnit(unit, props);
    } catch (e) {
      if (!(e instanceof DBusError && e.dbusName === 'org.freedesktop.systemd1.UnitExists')) throw this.startError(e);
      await bus.resetFailedUnit(unit).catch(() => {});
      try {
        await bus.startTransientUnit(unit, props);
      } catch (again) {
        if (again instanceof DBusError && again.dbusName === 'org.freedesktop.systemd1.UnitExists')
          throw new HakoError(`systemd: unit ${unit} already exists (linux.cgroupsPath names a scope in use)`);
        throw this.startError(again);
      }
    }
  }

  private startError(e: unknown): Error {
    const text = (e as Error).message.replace(/^StartTransientUnit: /, '');
    return new HakoError(`systemd: starting ${this.scope.unit} in ${this.scope.slice}: ${text}`);
  }

  /** exec's processes join through cgroupfs, as runc's do. */
  addProcess(pid: number): void {
    this.inner.addProcess(pid);
  }

  update(): void {
    throw new HakoError('internal: the systemd cgroup driver updates asynchronously (updateAsync)');
  }

  /** New limits: the files first (their checks, such as memory.checkBeforeUpdate, refuse before
   *  anything changed), then the same values as unit properties. Device rules stay as they are.
   *  On v1 systemd rewrites the devices cgroup on every property change (deny all, then its list),
   *  so the container is frozen meanwhile, as runc does. */
  async updateAsync(resources: Resources): Promise<void> {
    const { props, resources: files } = resourceProperties(resources, this.version);
    const unitProps = props.filter(([name]) => name !== 'DevicePolicy' && name !== 'DeviceAllow');
    this.inner.update(files);
    if (!unitProps.length) return;
    const freeze = this.version === 1 && this.safeState() === 'thawed';
    if (freeze) await this.inner.freezeAsync();
    const bus = await this.connect();
    try {
      await bus.setUnitProperties(this.scope.unit, unitProps);
    } catch (e) {
      throw new HakoError(`systemd: setting the limits of ${this.scope.unit}: ${(e as Error).message.replace(/^SetUnitProperties: /, '')}`);
    } finally {
      bus.close();
      if (freeze) await this.inner.thawAsync();
    }
  }

  private safeState(): 'frozen' | 'thawed' | undefined {
    try {
      return this.inner.state();
    } catch {
      return undefined; // no freezer
    }
  }

  freeze(): void {
    this.inner.freeze();
  }
  thaw(): void {
    this.inner.thaw();
  }
  freezeAsync(): Promise<void> {
    return this.inner.freezeAsync();
  }
  thawAsync(): Promise<void> {
    return this.inner.thawAsync();
  }
  state(): 'frozen' | 'thawed' {
    return this.inner.state();
  }
  pids(): number[] {
    return this.inner.pids();
  }
  stats(): CgroupStats {
    return this.inner.stats();
  }
  oomKills(): number {
    return this.inner.oomKills();
  }
  killAll(signal: number): void {
    this.inner.killAll(signal);
  }
  killAllAsync(signal: number): Promise<void> {
    return this.inner.killAllAsync(signal);
  }
  exists(): boolean {
    return this.started !== false && this.inner.exists();
  }
  dirs(): Record<string, string> {
    return this.inner.dirs();
  }

  /** Without systemd: the directories only (systemd removes an emptied scope by itself). */
  destroy(): void {
    this.inner.destroy();
  }

  /** StopUnit (a unit already gone is fine), ResetFailedUnit (an OOM-killed scope stays "failed"
   *  until then), then the directories systemd does not own (v1 hierarchies it does not manage,
   *  sub-cgroups). */
  async destroyAsync(): Promise<void> {
    if (this.started === false) return;
    let bus: SystemdBus;
    try {
      bus = await this.connect();
    } catch (e) {
      // Nothing was started (a create that failed at systemd) and nothing is there: nothing to stop.
      if (!this.inner.exists()) return;
      throw e;
    }
    try {
      await bus.stopUnit(this.scope.unit);
      await bus.resetFailedUnit(this.scope.unit).catch(() => {});
    } catch (e) {
      throw new HakoError(`systemd: stopping ${this.scope.unit}: ${(e as Error).message.replace(/^StopUnit: /, '')}`);
    } finally {
      bus.close();
    }
    await this.inner.destroyAsync();
  }
}
