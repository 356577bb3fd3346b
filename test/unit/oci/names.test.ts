import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import {
  CAPABILITIES,
  capabilityMask,
  lastCap,
  RLIMITS,
  RLIM_INFINITY,
  rlimitValue,
  SIGNALS,
  parseSignal,
  signalName,
  NAMESPACE_FLAGS,
  NAMESPACE_PROC_NAMES,
  NAMESPACE_TYPES,
  isNamespaceType,
  parseMountOptions,
  PROPAGATION_OPTIONS,
  MS_RDONLY,
  MS_NOSUID,
  MS_NODEV,
  MS_NOEXEC,
  MS_SYNCHRONOUS,
  MS_REMOUNT,
  MS_MANDLOCK,
  MS_DIRSYNC,
  MS_NOATIME,
  MS_NODIRATIME,
  MS_BIND,
  MS_MOVE,
  MS_REC,
  MS_SILENT,
  MS_UNBINDABLE,
  MS_PRIVATE,
  MS_SLAVE,
  MS_SHARED,
  MS_RELATIME,
  MS_STRICTATIME,
  MS_LAZYTIME,
  MOUNT_ATTR_RDONLY,
  MOUNT_ATTR_NOATIME,
  MOUNT_ATTR__ATIME,
  MOUNT_ATTR_NOSUID,
} from '../../../src/oci/names.js';
import { ConfigError, HakoError } from '../../../src/util/errors.js';

test('capability table covers CAP_CHOWN=0 .. CAP_CHECKPOINT_RESTORE=40 without gaps', () => {
  assert.equal(CAPABILITIES.CAP_CHOWN, 0);
  assert.equal(CAPABILITIES.CAP_KILL, 5);
  assert.equal(CAPABILITIES.CAP_NET_BIND_SERVICE, 10);
  assert.equal(CAPABILITIES.CAP_SYS_ADMIN, 21);
  assert.equal(CAPABILITIES.CAP_SYS_RESOURCE, 24);
  assert.equal(CAPABILITIES.CAP_AUDIT_WRITE, 29);
  assert.equal(CAPABILITIES.CAP_SETFCAP, 31);
  assert.equal(CAPABILITIES.CAP_AUDIT_READ, 37);
  assert.equal(CAPABILITIES.CAP_PERFMON, 38);
  assert.equal(CAPABILITIES.CAP_BPF, 39);
  assert.equal(CAPABILITIES.CAP_CHECKPOINT_RESTORE, 40);
  const bits = Object.values(CAPABILITIES).sort((a, b) => a - b);
  assert.deepEqual(
    bits,
    Array.from({ length: 41 }, (_, i) => i),
  );
});

test('capabilityMask of the runc default set', () => {
  assert.equal(capabilityMask(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], 'process.capabilities.bounding'), 0x20000420n);
  assert.equal(capabilityMask([], 'x'), 0n);
  // duplicates are harmless
  assert.equal(capabilityMask(['CAP_KILL', 'CAP_KILL'], 'x'), 0x20n);
  // all 41 known to a kernel that knows 40 as the last
  assert.equal(capabilityMask(Object.keys(CAPABILITIES), 'x', 40), (1n << 41n) - 1n);
});

test('capabilityMask rejects unknown names with the field and index', () => {
  assert.throws(
    () => capabilityMask(['CAP_KILL', 'CAP_FLY'], 'process.capabilities.effective'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.field, 'process.capabilities.effective[1]');
      assert.equal(e.message, 'config.json: process.capabilities.effective[1]: unknown capability "CAP_FLY"');
      return true;
    },
  );
  // names are exact, as in runc: no lowercase, no missing CAP_ prefix, no prototype keys
  for (const bad of ['cap_kill', 'KILL', 'toString', '__proto__', '']) {
    assert.throws(() => capabilityMask([bad], 'f'), /f\[0\]: unknown capability/);
  }
});

test('capabilityMask skips capabilities the running kernel does not know', () => {
  // a kernel whose last cap is CAP_AUDIT_READ (37): PERFMON/BPF/CHECKPOINT_RESTORE are dropped silently
  assert.equal(capabilityMask(['CAP_KILL', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE'], 'f', 37), 0x20n);
});

test('lastCap reads /proc/sys/kernel/cap_last_cap', () => {
  const expected = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  assert.equal(lastCap(), expected);
  assert.equal(lastCap(), expected); // cached value stays the same
});

test('rlimit table uses x86_64 numbering', () => {
  assert.equal(Object.keys(RLIMITS).length, 16);
  assert.equal(RLIMITS.RLIMIT_CPU, 0);
  assert.equal(RLIMITS.RLIMIT_NPROC, 6);
  assert.equal(RLIMITS.RLIMIT_NOFILE, 7);
  assert.equal(RLIMITS.RLIMIT_MEMLOCK, 8);
  assert.equal(RLIMITS.RLIMIT_AS, 9);
  assert.equal(RLIMITS.RLIMIT_RTTIME, 15);
  assert.deepEqual(
    Object.values(RLIMITS).sort((a, b) => a - b),
    Array.from({ length: 16 }, (_, i) => i),
  );
});

test('rlimitValue maps the rounded 2^64-1 of JSON.parse to RLIM_INFINITY', () => {
  const parsed = JSON.parse('18446744073709551615') as number;
  assert.equal(rlimitValue(parsed), RLIM_INFINITY);
  assert.equal(rlimitValue(1024), 1024n);
  assert.equal(rlimitValue(0), 0n);
});

test('signal table: x86_64 numbers and real-time forms', () => {
  assert.equal(SIGNALS.SIGHUP, 1);
  assert.equal(SIGNALS.SIGKILL, 9);
  assert.equal(SIGNALS.SIGUSR1, 10);
  assert.equal(SIGNALS.SIGUSR2, 12);
  assert.equal(SIGNALS.SIGTERM, 15);
  assert.equal(SIGNALS.SIGCHLD, 17);
  assert.equal(SIGNALS.SIGSTOP, 19);
  assert.equal(SIGNALS.SIGWINCH, 28);
  assert.equal(SIGNALS.SIGSYS, 31);
  assert.equal(SIGNALS.SIGRTMIN, 34);
  assert.equal(SIGNALS['SIGRTMIN+3'], 37);
  assert.equal(SIGNALS['SIGRTMAX-1'], 63);
  assert.equal(SIGNALS.SIGRTMAX, 64);
  // every number 1..31 and 34..64 has a name
  const numbers = new Set(Object.values(SIGNALS));
  for (let n = 1; n <= 64; n++) assert.equal(numbers.has(n), n !== 32 && n !== 33, `signal ${n}`);
});

test('parseSignal accepts numbers, names with and without SIG, any case, RT forms', () => {
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGKILL'), 9);
  assert.equal(parseSignal('sigkill'), 9);
  assert.equal(parseSignal('kill'), 9);
  assert.equal(parseSignal('TERM'), 15);
  assert.equal(parseSignal('SIGWINCH'), 28);
  assert.equal(parseSignal('RTMIN'), 34);
  assert.equal(parseSignal('RTMIN+1'), 35);
  assert.equal(parseSignal('sigrtmin+1'), 35);
  assert.equal(parseSignal('SIGRTMAX-2'), 62);
  assert.equal(parseSignal('RTMAX'), 64);
  assert.equal(parseSignal('64'), 64);
  assert.equal(parseSignal('IOT'), 6);
  assert.equal(parseSignal('SIGPOLL'), 29);
});

test('parseSignal rejects everything else with the input quoted', () => {
  for (const bad of ['', 'FOO', 'SIGFOO', '0', '65', '-9', '9x', 'RTMIN+31', 'RTMAX-0', 'RTMIN-1', ' KILL', 'SIG', 'CONSTRUCTOR', '__PROTO__']) {
    assert.throws(
      () => parseSignal(bad),
      (e: unknown) => {
        assert.ok(e instanceof HakoError);
        assert.equal(e.message, `unknown signal "${bad}"`);
        return true;
      },
      bad,
    );
  }
});

test('signalName gives canonical names', () => {
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(6), 'SIGABRT');
  assert.equal(signalName(34), 'SIGRTMIN');
  assert.equal(signalName(37), 'SIGRTMIN+3');
  assert.equal(signalName(64), 'SIGRTMAX');
  assert.equal(signalName(32), undefined);
  assert.equal(signalName(0), undefined);
});

test('namespace clone flags and /proc/self/ns names', () => {
  assert.equal(NAMESPACE_FLAGS.mount, 0x20000);
  assert.equal(NAMESPACE_FLAGS.uts, 0x04000000);
  assert.equal(NAMESPACE_FLAGS.ipc, 0x08000000);
  assert.equal(NAMESPACE_FLAGS.user, 0x10000000);
  assert.equal(NAMESPACE_FLAGS.pid, 0x20000000);
  assert.equal(NAMESPACE_FLAGS.network, 0x40000000);
  assert.equal(NAMESPACE_FLAGS.cgroup, 0x02000000);
  assert.equal(NAMESPACE_FLAGS.time, 0x80);
  assert.equal(NAMESPACE_PROC_NAMES.network, 'net');
  assert.equal(NAMESPACE_PROC_NAMES.mount, 'mnt');
  assert.equal(NAMESPACE_PROC_NAMES.time, 'time');
  assert.equal(NAMESPACE_PROC_NAMES.cgroup, 'cgroup');
  assert.equal(NAMESPACE_TYPES.length, 8);
  assert.ok(isNamespaceType('pid'));
  assert.ok(!isNamespaceType('net'));
  assert.ok(!isNamespaceType('toString'));
});

test('namespace proc names match files in /proc/self/ns', () => {
  for (const t of NAMESPACE_TYPES) {
    // readlink succeeds for every namespace type this kernel supports (all eight on 6.x)
    const link = readLinkOrNull(`/proc/self/ns/${NAMESPACE_PROC_NAMES[t]}`);
    assert.ok(link?.startsWith(`${NAMESPACE_PROC_NAMES[t]}:[`), `${t} -> ${link}`);
  }
});

function readLinkOrNull(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

test('MS_* constants have the kernel values', () => {
  assert.deepEqual(
    [
      MS_RDONLY,
      MS_NOSUID,
      MS_NODEV,
      MS_NOEXEC,
      MS_SYNCHRONOUS,
      MS_REMOUNT,
      MS_MANDLOCK,
      MS_DIRSYNC,
      MS_NOATIME,
      MS_NODIRATIME,
      MS_BIND,
      MS_MOVE,
      MS_REC,
      MS_SILENT,
      MS_UNBINDABLE,
      MS_PRIVATE,
      MS_SLAVE,
      MS_SHARED,
      MS_RELATIME,
      MS_STRICTATIME,
      MS_LAZYTIME,
    ],
    [1, 2, 4, 8, 16, 32, 64, 128, 1024, 2048, 4096, 8192, 16384, 32768, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x1000000, 0x2000000],
  );
});

test('parseMountOptions: flags, data, and the default /dev/shm options', () => {
  const m = parseMountOptions(['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']);
  assert.equal(m.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
  assert.equal(m.clearFlags, 0);
  assert.deepEqual(m.data, ['mode=1777', 'size=65536k']);
  assert.deepEqual(m.propagation, []);
  assert.equal(m.tmpcopyup, false);
  assert.equal(m.idmap, null);
});

test('parseMountOptions: every set/clear pair', () => {
  const pairs: [string, string, number][] = [
    ['ro', 'rw', MS_RDONLY],
    ['nosuid', 'suid', MS_NOSUID],
    ['nodev', 'dev', MS_NODEV],
    ['noexec', 'exec', MS_NOEXEC],
    ['sync', 'async', MS_SYNCHRONOUS],
    ['mand', 'nomand', MS_MANDLOCK],
    ['noatime', 'atime', MS_NOATIME],
    ['nodiratime', 'diratime', MS_NODIRATIME],
    ['relatime', 'norelatime', MS_RELATIME],
    ['strictatime', 'nostrictatime', MS_STRICTATIME],
    ['lazytime', 'nolazytime', MS_LAZYTIME],
  ];
  for (const [set, clear, flag] of pairs) {
    assert.deepEqual([parseMountOptions([set]).flags, parseMountOptions([set]).clearFlags], [flag, 0], set);
    // the later option wins, and a clear is remembered
    const m = parseMountOptions([set, clear]);
    assert.deepEqual([m.flags, m.clearFlags, m.data], [0, flag, []], `${set},${clear}`);
    const n = parseMountOptions([clear, set]);
    assert.deepEqual([n.flags, n.clearFlags], [flag, 0], `${clear},${set}`);
  }
  assert.equal(parseMountOptions(['dirsync']).flags, MS_DIRSYNC);
  assert.equal(parseMountOptions(['remount']).flags, MS_REMOUNT);
});

test('parseMountOptions: bind, rbind and propagation', () => {
  assert.equal(parseMountOptions(['bind']).flags, MS_BIND);
  assert.equal(parseMountOptions(['rbind', 'ro']).flags, MS_BIND | MS_REC | MS_RDONLY);
  const m = parseMountOptions(['rbind', 'rprivate', 'shared', 'rslave', 'unbindable', 'runbindable', 'private', 'slave', 'rshared']);
  assert.equal(m.flags, MS_BIND | MS_REC);
  assert.deepEqual(m.propagation, [
    MS_PRIVATE | MS_REC,
    MS_SHARED,
    MS_SLAVE | MS_REC,
    MS_UNBINDABLE,
    MS_UNBINDABLE | MS_REC,
    MS_PRIVATE,
    MS_SLAVE,
    MS_SHARED | MS_REC,
  ]);
  assert.deepEqual(m.data, []);
  assert.equal(PROPAGATION_OPTIONS.rprivate, MS_PRIVATE | MS_REC);
});

test('parseMountOptions: unknown options, "defaults", extensions and recursive attributes', () => {
  const m = parseMountOptions(['defaults', 'newinstance', 'ptmxmode=0666', 'gid=5', 'tmpcopyup', 'ridmap']);
  assert.equal(m.flags, 0);
  assert.deepEqual(m.data, ['newinstance', 'ptmxmode=0666', 'gid=5']);
  assert.equal(m.tmpcopyup, true);
  assert.equal(m.idmap, 'ridmap');
  const r = parseMountOptions(['rro', 'rnosuid', 'rnoatime']);
  assert.equal(r.flags, 0);
  assert.equal(r.recAttrSet, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME);
  assert.equal(r.recAttrClr, MOUNT_ATTR__ATIME);
  const c = parseMountOptions(['rro', 'rrw']);
  assert.deepEqual([c.recAttrSet, c.recAttrClr], [0, MOUNT_ATTR_RDONLY]);
  // prototype names are data, not flags
  assert.deepEqual(parseMountOptions(['constructor', 'toString']).data, ['constructor', 'toString']);
});
