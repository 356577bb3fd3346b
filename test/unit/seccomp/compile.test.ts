import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSeccomp, seccompUsesNotify } from '../../../src/runtime/seccomp/index.js';
import { ConfigError } from '../../../src/util/errors.js';
import type { Seccomp } from '../../../src/oci/types.js';

const lines = (text: string): string[] => text.trimEnd().split('\n');

/** Asserts that compiling `profile` throws a ConfigError whose message contains `text`. */
function rejects(profile: unknown, text: string): void {
  assert.throws(
    () => compileSeccomp(profile as Seccomp),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.ok(e.message.includes(text), `"${e.message}" should contain "${text}"`);
      return true;
    },
  );
}

test('default action, arches, flags and plain rules', () => {
  const out = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['ptrace'], action: 'SCMP_ACT_KILL' },
      { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['kexec_load'], action: 'SCMP_ACT_KILL_THREAD' },
      { names: ['acct'], action: 'SCMP_ACT_TRAP' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 30 },
      { names: ['getpid'], action: 'SCMP_ACT_TRACE' },
      { names: ['uname'], action: 'SCMP_ACT_LOG' },
    ],
  });
  assert.deepEqual(lines(out), [
    'default errno 1',
    'enosys_stub',
    'arch x86_64',
    'arch x86',
    'arch aarch64',
    'flag log',
    'flag tsync',
    'flag spec_allow',
    'flag wait_killable_recv',
    'rule allow 0 read',
    'rule allow 0 write',
    'rule kill_thread 0 ptrace',
    'rule kill_process 0 reboot',
    'rule kill_thread 0 kexec_load',
    'rule trap 0 acct',
    'rule errno 30 mkdir',
    'rule trace 1 getpid',
    'rule log 0 uname',
  ]);
});

test('defaultErrnoRet is used for the default action, and only for errno/trace', () => {
  assert.equal(lines(compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }))[0], 'default errno 38');
  assert.equal(lines(compileSeccomp({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 7 }))[0], 'default trace 7');
  assert.equal(lines(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 7 }))[0], 'default allow 0');
});

test('argument conditions: AND on distinct indexes, one rule each when an index repeats (like runc)', () => {
  const out = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['socket'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 1, op: 'SCMP_CMP_GE' },
        ],
      },
      {
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 22,
        args: [
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' },
        ],
      },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      {
        names: ['ioctl'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 1, value: 1, op: 'SCMP_CMP_NE' },
          { index: 2, value: 2, op: 'SCMP_CMP_LT' },
          { index: 3, value: 3, op: 'SCMP_CMP_LE' },
          { index: 4, value: 4, op: 'SCMP_CMP_GT' },
          { index: 5, value: 2 ** 64, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  });
  assert.deepEqual(lines(out).slice(1), [
    'rule errno 1 socket 0 eq 2 0 1 ge 1 0',
    'rule errno 22 personality 0 eq 8 0',
    'rule errno 22 personality 0 eq 4294967295 0',
    'rule errno 1 clone 0 masked_eq 2114060288 0',
    'rule errno 1 ioctl 1 ne 1 0 2 lt 2 0 3 le 3 0 4 gt 4 0 5 eq 18446744073709551615 0',
  ]);
});

test('rules equal to the default action are dropped; a different errno is not', () => {
  const out = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['a'], action: 'SCMP_ACT_ERRNO' },
      { names: ['b'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['c'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  });
  assert.deepEqual(lines(out), ['default errno 1', 'enosys_stub', 'rule errno 38 c']);
});

test('the ENOSYS stub is asked for unless the default lets syscalls through or is ENOSYS already', () => {
  const first2 = (s: Seccomp) => lines(compileSeccomp(s)).slice(0, 2);
  assert.deepEqual(first2({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }), ['default kill_process 0', 'enosys_stub']);
  assert.deepEqual(first2({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO' }] }), ['default allow 0', 'rule errno 1 a']);
  assert.deepEqual(first2({ defaultAction: 'SCMP_ACT_LOG' }), ['default log 0']);
  assert.deepEqual(first2({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }), ['default errno 38']);
});

test('notify needs listenerPath and is refused for write and as default', () => {
  const notify: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/agent.sock',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  };
  assert.equal(lines(compileSeccomp(notify))[1], 'rule notify 0 mkdir');
  assert.equal(seccompUsesNotify(notify), true);
  assert.equal(seccompUsesNotify({ defaultAction: 'SCMP_ACT_ALLOW' }), false);
  rejects({ ...notify, listenerPath: undefined }, 'config.json: linux.seccomp.listenerPath: is required when an action is SCMP_ACT_NOTIFY');
  rejects({ ...notify, listenerPath: `/${'x'.repeat(200)}` }, 'linux.seccomp.listenerPath: longer than 107 bytes');
  rejects(
    { ...notify, syscalls: [{ names: ['mkdir', 'write'], action: 'SCMP_ACT_NOTIFY' }] },
    'linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for "write"',
  );
  rejects({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' }, 'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
});

test('bad profiles name the field at fault', () => {
  const ok = { names: ['read'], action: 'SCMP_ACT_ALLOW' };
  rejects(null, 'linux.seccomp: must be an object');
  rejects({}, 'linux.seccomp.defaultAction: must be a string');
  rejects({ defaultAction: 'SCMP_ACT_NOPE' }, 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"');
  rejects({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: -1 }, 'linux.seccomp.defaultErrnoRet: must be an integer from 0 to 65535');
  rejects(
    { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] },
    'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"',
  );
  rejects({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }, 'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FAST"');
  rejects(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [ok, ok, ok, { names: ['mkdir'], action: 'SCMP_ACT_FOO' }] },
    'config.json: linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"',
  );
  rejects(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] },
    'linux.seccomp.syscalls[0].names: must be a non-empty array',
  );
  rejects(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mk dir'], action: 'SCMP_ACT_ERRNO' }] },
    'linux.seccomp.syscalls[0].names[0]: invalid syscall name "mk dir"',
  );
  rejects(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir\nrule'], action: 'SCMP_ACT_ERRNO' }] },
    'linux.seccomp.syscalls[0].names[0]: invalid syscall name',
  );
  rejects(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }] },
    'linux.seccomp.syscalls[0].errnoRet: must be an integer from 0 to 65535, got 70000',
  );
  const withArg = (arg: unknown): unknown => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [arg] }] });
  rejects(withArg({ index: 6, value: 1, op: 'SCMP_CMP_EQ' }), 'linux.seccomp.syscalls[0].args[0].index: must be an argument index from 0 to 5, got 6');
  rejects(withArg({ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }), 'linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_LIKE"');
  rejects(withArg({ index: 0, value: -1, op: 'SCMP_CMP_EQ' }), 'linux.seccomp.syscalls[0].args[0].value: must be an unsigned 64-bit integer');
  rejects(withArg({ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }), 'linux.seccomp.syscalls[0].args[0].value: must be an unsigned 64-bit integer');
  rejects(withArg({ index: 0, op: 'SCMP_CMP_EQ' }), 'linux.seccomp.syscalls[0].args[0].value: is required');
  rejects(withArg({ index: 0, value: 1, valueTwo: '2', op: 'SCMP_CMP_MASKED_EQ' }), 'linux.seccomp.syscalls[0].args[0].valueTwo');
  rejects(withArg('x'), 'linux.seccomp.syscalls[0].args[0]: must be an object');
});

test('a custom field prefix is used in errors', () => {
  assert.throws(
    () => compileSeccomp({ defaultAction: 'X' }, 'seccomp profile /etc/p.json'),
    /seccomp profile \/etc\/p\.json\.defaultAction: unknown action "X"/,
  );
});
