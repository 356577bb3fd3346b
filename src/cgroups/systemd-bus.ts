// The calls the systemd driver makes to systemd's manager over D-Bus: start a transient scope and
// wait for its job, change its properties, stop it, reset it when it failed. The system bus first
// (as runc, go-systemd), systemd's private socket when no bus daemon runs (root only, as systemctl).
import fs from 'node:fs';
import { DBusConnection, DBusError, type DBusMessage, type DBusValue, withTimeout } from '../util/dbus.js';
import { HakoError } from '../util/errors.js';
import type { UnitProperty } from './systemd-props.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const JOB_TIMEOUT_MS = 30_000; // runc's wait for a job

/** True when systemd runs as init (sd_booted: /run/systemd/system exists). */
export function systemdBooted(): boolean {
  try {
    return fs.lstatSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}

/** The system bus socket: $DBUS_SYSTEM_BUS_ADDRESS (unix:path=...) or the well-known path. */
function systemBusPath(): string {
  const addr = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  const m = addr && /(?:^|;)unix:(?:[^;]*,)?path=([^,;]+)/.exec(addr);
  return m ? decodeURIComponent(m[1]) : '/run/dbus/system_bus_socket';
}

export class SystemdBus {
  /** JobRemoved results by job path, kept from before the call's reply arrives (it can be first). */
  private readonly jobs = new Map<string, string>();
  private readonly waiters = new Map<string, (result: string) => void>();

  private constructor(private readonly conn: DBusConnection) {
    conn.onSignal((m) => this.onSignal(m));
  }

  static async connect(): Promise<SystemdBus> {
    if (!systemdBooted()) throw new HakoError('systemd cgroup driver: systemd is not running as init on this host (no /run/systemd/system)');
    const bus = systemBusPath();
    let conn: DBusConnection;
    try {
      conn = await DBusConnection.connect(bus);
    } catch (e) {
      if (!fs.existsSync('/run/systemd/private')) throw new HakoError(`systemd cgroup driver: ${(e as Error).message}`);
      conn = await DBusConnection.connect('/run/systemd/private', { bus: false });
    }
    const sd = new SystemdBus(conn);
    try {
      if (conn.address !== '/run/systemd/private') {
        await sd.callBus('AddMatch', 's', [`type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`]);
      }
      await sd.manager('Subscribe');
    } catch (e) {
      conn.close();
      throw e;
    }
    return sd;
  }

  close(): void {
    this.conn.close();
  }

  /** StartTransientUnit in mode "replace"; resolves when its job is done (any other result: an error). */
  async startTransientUnit(unit: string, props: UnitProperty[]): Promise<void> {
    const [job] = await this.manager('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', props as DBusValue[], []]);
    const result = await this.jobResult(job as string, unit);
    if (result !== 'done') throw new HakoError(`systemd: starting ${unit}: the job ended '${result}'`);
  }

  /** StopUnit; a unit that is not loaded any more is no error. Returns the job's result. */
  async stopUnit(unit: string): Promise<string> {
    let job: DBusValue;
    try {
      [job] = await this.manager('StopUnit', 'ss', [unit, 'replace']);
    } catch (e) {
      if (e instanceof DBusError && e.dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return 'gone';
      throw e;
    }
    return this.jobResult(job as string, unit);
  }

  async resetFailedUnit(unit: string): Promise<void> {
    await this.manager('ResetFailedUnit', 's', [unit]);
  }

  /** SetUnitProperties at runtime (not persisted: the unit is transient anyway). */
  async setUnitProperties(unit: string, props: UnitProperty[]): Promise<void> {
    await this.manager('SetUnitProperties', 'sba(sv)', [unit, true, props as DBusValue[]]);
  }

  /** The systemd version's number (252 for "252.38-1~deb12u1"). */
  async version(): Promise<number> {
    const [v] = await this.conn.call({
      destination: SYSTEMD,
      path: MANAGER_PATH,
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Get',
      signature: 'ss',
      body: [MANAGER, 'Version'],
    });
    return Number.parseInt(String((v as [string, DBusValue])[1]).replace(/^v/, ''), 10) || 0;
  }

  private manager(member: string, signature?: string, body?: DBusValue[]): Promise<DBusValue[]> {
    return this.conn.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member, signature, body });
  }

  private callBus(member: string, signature: string, body: DBusValue[]): Promise<DBusValue[]> {
    return this.conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body });
  }

  private onSignal(m: DBusMessage): void {
    if (m.interface !== MANAGER || m.member !== 'JobRemoved') return;
    const [, job, , result] = m.body as [number, string, string, string];
    const waiter = this.waiters.get(job);
    if (waiter) waiter(result);
    else this.jobs.set(job, result);
  }

  private jobResult(job: string, unit: string): Promise<string> {
    const early = this.jobs.get(job);
    if (early !== undefined) return Promise.resolve(early);
    const result = new Promise<string>((resolve) => this.waiters.set(job, resolve));
    return withTimeout(result, JOB_TIMEOUT_MS, `systemd: no answer for ${unit} within ${JOB_TIMEOUT_MS / 1000} s (job ${job})`).finally(() =>
      this.waiters.delete(job),
    );
  }
}
