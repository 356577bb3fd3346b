// Compiles `linux.seccomp` of config.json into the compact PROFILE text that hako-init's `seccomp`
// plan op hands to libseccomp (native/seccomp.c). All validation and policy happens here, before
// anything runs, so a bad profile ends as one ConfigError naming the field; the C side only
// translates lines into libseccomp calls.
//
// PROFILE format (must match the comment at the top of native/seccomp.c): one directive per line,
// fields separated by single spaces.
//
//   default ACTION ERRNO                      exactly once, first
//   arch NAME                                 extra architecture, libseccomp name (x86, x32, aarch64, ...)
//   flag NAME                                 tsync | spec_allow | log | wait_killable_recv
//   rule ACTION ERRNO SYSCALL [ARG OP VALUE VALUE2]...
//
//   ACTION  allow | kill_thread | kill_process | trap | errno | trace | log | notify
//   ERRNO   0..65535: errno for `errno`, ptrace message for `trace`, 0 for the others
//   ARG     0..5; OP ne | lt | le | eq | ge | gt | masked_eq; VALUE, VALUE2 unsigned 64-bit decimal
//           (masked_eq: (arg & VALUE) == VALUE2, OCI `value` is the mask, `valueTwo` the datum)
//
// Semantics follow runc: SCMP_ACT_KILL kills the thread; SCMP_ACT_ERRNO and SCMP_ACT_TRACE return
// EPERM unless errnoRet says otherwise; several conditions on one rule must all match, but if one
// argument index appears more than once in a rule, runc adds each condition as a rule of its own (so
// any one matching is enough), and so do we; rules whose action equals the default action are dropped
// (libseccomp refuses them); syscall names libseccomp does not know are skipped by the C side.
import { ConfigError } from '../../util/errors.js';
import type { Seccomp, SeccompArg } from '../../oci/types.js';

/** OCI action name -> PROFILE action word. */
export const SECCOMP_ACTIONS: Readonly<Record<string, string>> = {
  SCMP_ACT_KILL: 'kill_thread',
  SCMP_ACT_KILL_THREAD: 'kill_thread',
  SCMP_ACT_KILL_PROCESS: 'kill_process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_NOTIFY: 'notify',
};

/** OCI comparison name -> PROFILE op word. */
export const SECCOMP_OPS: Readonly<Record<string, string>> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
};

/** OCI architectures (runtime-spec config-linux.md) -> libseccomp names. Ones this host's libseccomp
 *  lacks (e.g. loongarch64 before 2.6) fail in C with "not supported by this libseccomp". */
export const SECCOMP_ARCHES: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'X86',
    'X86_64',
    'X32',
    'ARM',
    'AARCH64',
    'MIPS',
    'MIPS64',
    'MIPS64N32',
    'MIPSEL',
    'MIPSEL64',
    'MIPSEL64N32',
    'PPC',
    'PPC64',
    'PPC64LE',
    'S390',
    'S390X',
    'PARISC',
    'PARISC64',
    'RISCV64',
    'LOONGARCH64',
    'M68K',
    'SH',
    'SHEB',
  ].map((a) => [`SCMP_ARCH_${a}`, a.toLowerCase()]),
);

/** OCI filter flags -> PROFILE flag words. WAIT_KILLABLE_RECV is ignored by a libseccomp older
 *  than 2.6 (it only changes how a notified syscall reacts to signals). */
export const SECCOMP_FLAGS: Readonly<Record<string, string>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 'tsync',
  SECCOMP_FILTER_FLAG_LOG: 'log',
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 'spec_allow',
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 'wait_killable_recv',
};

const EPERM = 1;
const MAX_U64 = (1n << 64n) - 1n;
// sun_path is 108 bytes including the terminating NUL
const MAX_SOCKET_PATH = 107;
const SYSCALL_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

/** True if any rule uses SCMP_ACT_NOTIFY: the plan must then hand the listener to listenerPath. */
export function seccompUsesNotify(seccomp: Seccomp): boolean {
  return (seccomp.syscalls ?? []).some((s) => s?.action === 'SCMP_ACT_NOTIFY');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function action(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ConfigError(field, 'must be a string such as "SCMP_ACT_ERRNO"');
  const word = SECCOMP_ACTIONS[value];
  if (!word) throw new ConfigError(field, `unknown action ${JSON.stringify(value)}`);
  return word;
}

function errnoValue(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffff) {
    throw new ConfigError(field, `must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/** The ERRNO field of a directive: only errno and trace carry data, and both default to EPERM. */
function actionData(word: string, errnoRet: unknown, field: string): number {
  if (word !== 'errno' && word !== 'trace') return 0;
  return errnoRet === undefined || errnoRet === null ? EPERM : errnoValue(errnoRet, field);
}

function u64(value: unknown, field: string): string {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isInteger(value)) {
    // JSON numbers are doubles: 2^64-1 (e.g. -1 as unsigned) parses as exactly 2^64; take it as meant
    big = value === 2 ** 64 ? MAX_U64 : BigInt(value);
  } else throw new ConfigError(field, `must be an unsigned 64-bit integer, got ${JSON.stringify(value)}`);
  if (big < 0n || big > MAX_U64) throw new ConfigError(field, `must be an unsigned 64-bit integer, got ${big}`);
  return big.toString();
}

function condition(arg: unknown, field: string): { index: number; text: string } {
  if (!isObject(arg)) throw new ConfigError(field, 'must be an object with index, value and op');
  const a = arg as Partial<SeccompArg>;
  if (!Number.isInteger(a.index) || a.index! < 0 || a.index! > 5) {
    throw new ConfigError(`${field}.index`, `must be an argument index from 0 to 5, got ${JSON.stringify(a.index)}`);
  }
  if (typeof a.op !== 'string' || !SECCOMP_OPS[a.op]) {
    throw new ConfigError(`${field}.op`, `unknown operator ${JSON.stringify(a.op)}`);
  }
  if (a.value === undefined) throw new ConfigError(`${field}.value`, 'is required');
  const value = u64(a.value, `${field}.value`);
  const valueTwo = a.valueTwo === undefined || a.valueTwo === null ? '0' : u64(a.valueTwo, `${field}.valueTwo`);
  return { index: a.index!, text: `${a.index} ${SECCOMP_OPS[a.op]} ${value} ${valueTwo}` };
}

/** Validates `seccomp` (the value of `field`) and returns the PROFILE text for hako-init. Throws
 *  ConfigError naming the first bad field. */
const ENOSYS = 38;

export function compileSeccomp(seccomp: Seccomp, field = 'linux.seccomp'): string {
  if (!isObject(seccomp)) throw new ConfigError(field, 'must be an object');
  const defWord = action(seccomp.defaultAction, `${field}.defaultAction`);
  if (defWord === 'notify') {
    throw new ConfigError(`${field}.defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action');
  }
  const defData = actionData(defWord, seccomp.defaultErrnoRet, `${field}.defaultErrnoRet`);
  const lines = [`default ${defWord} ${defData}`];
  // runc's stub: a syscall newer than every one the profile names gets ENOSYS, not the default
  // action, so libc falls back (clone3 -> clone, fchmodat2 -> fchmodat) instead of failing with
  // EPERM. Pointless where the default lets it through or already answers ENOSYS.
  if (!['allow', 'log'].includes(defWord) && !(defWord === 'errno' && Number(defData) === ENOSYS)) lines.push('enosys_stub');

  if (seccomp.architectures !== undefined && seccomp.architectures !== null) {
    if (!Array.isArray(seccomp.architectures)) throw new ConfigError(`${field}.architectures`, 'must be an array');
    seccomp.architectures.forEach((arch, i) => {
      const name = typeof arch === 'string' ? SECCOMP_ARCHES[arch] : undefined;
      if (!name) throw new ConfigError(`${field}.architectures[${i}]`, `unknown architecture ${JSON.stringify(arch)}`);
      lines.push(`arch ${name}`);
    });
  }

  // No flags means none: unlike runc we do not add SPEC_ALLOW by default (it weakens the Spectre
  // store-bypass mitigation, and since Linux 5.16 seccomp no longer forces that mitigation anyway).
  if (seccomp.flags !== undefined && seccomp.flags !== null) {
    if (!Array.isArray(seccomp.flags)) throw new ConfigError(`${field}.flags`, 'must be an array');
    seccomp.flags.forEach((flag, i) => {
      const name = typeof flag === 'string' ? SECCOMP_FLAGS[flag] : undefined;
      if (!name) throw new ConfigError(`${field}.flags[${i}]`, `unknown flag ${JSON.stringify(flag)}`);
      lines.push(`flag ${name}`);
    });
  }

  const syscalls = seccomp.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw new ConfigError(`${field}.syscalls`, 'must be an array');
  let notify = false;
  syscalls.forEach((call, i) => {
    const f = `${field}.syscalls[${i}]`;
    if (!isObject(call)) throw new ConfigError(f, 'must be an object with names and action');
    const word = action(call.action, `${f}.action`);
    const data = actionData(word, call.errnoRet, `${f}.errnoRet`);
    if (!Array.isArray(call.names) || call.names.length === 0) {
      throw new ConfigError(`${f}.names`, 'must be a non-empty array of syscall names');
    }
    const args = call.args ?? [];
    if (!Array.isArray(args)) throw new ConfigError(`${f}.args`, 'must be an array');
    const conds = args.map((arg, j) => condition(arg, `${f}.args[${j}]`));
    call.names.forEach((name, j) => {
      if (typeof name !== 'string' || !SYSCALL_NAME.test(name)) {
        throw new ConfigError(`${f}.names[${j}]`, `invalid syscall name ${JSON.stringify(name)}`);
      }
      // The runtime still writes to its sync socket after the filter is loaded (runc refuses this too).
      // The runtime itself needs these to hand the listener over after the filter is loaded.
      if (word === 'notify' && (name === 'write' || name === 'sendmsg')) {
        throw new ConfigError(`${f}.names[${j}]`, `SCMP_ACT_NOTIFY cannot be used for "${name}"`);
      }
    });
    if (word === 'notify') notify = true;
    if (word === defWord && data === defData) return; // same as the default: libseccomp refuses it
    const indexes = conds.map((c) => c.index);
    const split = new Set(indexes).size !== indexes.length;
    const groups = split ? conds.map((c) => [c.text]) : [conds.map((c) => c.text)];
    for (const name of call.names) {
      for (const group of groups) lines.push(['rule', word, data, name, ...group].join(' '));
    }
  });

  if (notify) {
    const lp = seccomp.listenerPath;
    if (typeof lp !== 'string' || lp === '') {
      throw new ConfigError(`${field}.listenerPath`, 'is required when an action is SCMP_ACT_NOTIFY');
    }
    if (Buffer.byteLength(lp) > MAX_SOCKET_PATH) {
      throw new ConfigError(`${field}.listenerPath`, `longer than ${MAX_SOCKET_PATH} bytes, too long for a Unix socket`);
    }
  }
  return lines.join('\n') + '\n';
}
