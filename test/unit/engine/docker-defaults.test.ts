import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSeccomp } from '../../../src/runtime/seccomp/index.js';
import { defaultSeccompProfile } from '../../../src/engine/docker-defaults.js';
import type { Seccomp } from '../../../src/oci/types.js';

/** Every syscall name the profile allows without conditions. */
function allowed(p: Seccomp): Set<string> {
  return new Set((p.syscalls ?? []).filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));
}

const X64 = { arch: 'x64', kernel: '6.18.0' };

test('docker default: EPERM for everything not listed, x86 family arches', () => {
  const p = defaultSeccompProfile(undefined, X64);
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const ok = allowed(p);
  for (const name of ['read', 'write', 'openat', 'execve', 'mkdir', 'arch_prctl', 'chroot', 'ptrace', 'io_uring_setup']) {
    assert.ok(ok.has(name), `${name} should be allowed`);
  }
  // the dangerous ones stay at the default (EPERM)
  for (const name of ['mount', 'unshare', 'setns', 'reboot', 'init_module', 'bpf', 'kexec_load', 'open_by_handle_at', 'clone3', 'clone', 'syslog']) {
    assert.ok(!ok.has(name), `${name} should not be allowed`);
  }
  // clone only without namespace flags, clone3 -> ENOSYS so libc falls back to clone
  const clone = p.syscalls!.find((s) => s.names.includes('clone'))!;
  assert.deepEqual(clone.args, [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }]);
  const clone3 = p.syscalls!.find((s) => s.names.includes('clone3'))!;
  assert.deepEqual([clone3.action, clone3.errnoRet], ['SCMP_ACT_ERRNO', 38]);
  // socket: anything but AF_VSOCK
  assert.deepEqual(p.syscalls!.find((s) => s.names.includes('socket'))!.args, [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
  assert.equal(p.syscalls!.filter((s) => s.names.includes('personality')).length, 5);
  // and it compiles
  assert.match(compileSeccomp(p), /^default errno 1\nenosys_stub\narch x86_64\narch x86\narch x32\n/);
});

test('capability-conditional groups follow the capability set', () => {
  const admin = defaultSeccompProfile(['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'SYS_BOOT'], X64);
  const ok = allowed(admin);
  for (const name of ['mount', 'unshare', 'setns', 'clone', 'clone3', 'kcmp', 'reboot', 'syslog']) {
    assert.ok(ok.has(name), `${name} should be allowed with CAP_SYS_ADMIN/SYS_PTRACE/SYS_BOOT`);
  }
  assert.ok(!ok.has('chroot'), 'chroot needs CAP_SYS_CHROOT');
  // with CAP_SYS_ADMIN the conditional clone and the clone3 ENOSYS rule are gone
  assert.ok(!admin.syscalls!.some((s) => s.names.includes('clone') && s.args));
  assert.ok(!admin.syscalls!.some((s) => s.action === 'SCMP_ACT_ERRNO'));
  const none = allowed(defaultSeccompProfile([], X64));
  assert.ok(!none.has('chroot'));
});

test('architecture- and kernel-conditional groups follow the host', () => {
  const arm = defaultSeccompProfile(undefined, { arch: 'arm64', kernel: '6.1.0' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(allowed(arm).has('set_tls'));
  assert.ok(!allowed(arm).has('arch_prctl'));
  const s390 = defaultSeccompProfile(undefined, { arch: 's390x', kernel: '6.1.0' });
  assert.deepEqual(s390.syscalls!.find((s) => s.names.includes('clone'))!.args![0]!.index, 1);
  // ptrace was only allowed from 4.8 on (before, it could bypass seccomp)
  assert.ok(!allowed(defaultSeccompProfile(undefined, { arch: 'x64', kernel: '4.4.0' })).has('ptrace'));
  assert.ok(allowed(defaultSeccompProfile(undefined, { arch: 'x64', kernel: '4.8.1' })).has('ptrace'));
});

test('each call returns a fresh object', () => {
  const a = defaultSeccompProfile(undefined, X64);
  a.syscalls![0]!.names.push('kexec_load');
  assert.ok(!allowed(defaultSeccompProfile(undefined, X64)).has('kexec_load'));
});
