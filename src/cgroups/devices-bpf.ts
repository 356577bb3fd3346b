// Device rules on cgroup v2. v2 has no devices controller; instead a BPF_PROG_TYPE_CGROUP_DEVICE
// program attached to the cgroup is asked for every mknod/open of a device node and returns 1
// (allow) or 0 (deny). This module is the policy: it turns OCI linux.resources.devices into that
// program. native/bpf.c only loads and attaches the bytes (`hako-init bpf-devices DIR`).
//
// Semantics are cgroup v1's, like runc (libcontainer/cgroups/devices): the rules are first replayed
// on an emulation of the v1 devices cgroup (an "a" rule switches between default-deny and
// default-allow and drops all exceptions; other rules add or remove exceptions, access bits merged
// per device). The program then checks the remaining exceptions, in runc's instruction layout, and
// falls through to the default (one deliberate difference, in default-allow mode: see
// generateProgram). A simpler "last matching rule wins" program over the raw list is
// NOT used: with a partial deny such as `deny c 1:3 w` after `allow c 1:3 rwm` it would let an
// O_RDWR open (access r|w) through, because the deny rule only matches requests within "w".
import type { DeviceCgroup } from '../oci/types.js';
import { bpfDevices } from '../native/modes.js';
import { HakoError } from '../util/errors.js';
import { DEFAULT_ALLOWED_DEVICES, deviceAccess, deviceRuleString, deviceType } from './convert.js';

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// access_type: low 16 bits the device type, high 16 bits the access bits.
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/** A v1 exception after emulation: type b/c, -1 = wildcard, access as BPF_DEVCG_ACC_* bits. */
export interface DeviceException {
  type: 'b' | 'c';
  major: number;
  minor: number;
  access: number;
}

export interface EmulatedRules {
  /** true: everything not listed is allowed (v1 "blacklist" after an `allow a`). */
  defaultAllow: boolean;
  /** Exceptions to the default, sorted like runc's emulator: by major, minor, type. */
  exceptions: DeviceException[];
}

/** BPF_DEVCG_ACC_* bits of a rule's access as runc reads it (letters other than r, w, m ignored). */
function accessBits(access: string | undefined): number {
  let bits = 0;
  for (const ch of deviceAccess(access)) {
    if (ch === 'r') bits |= BPF_DEVCG_ACC_READ;
    else if (ch === 'w') bits |= BPF_DEVCG_ACC_WRITE;
    else bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

function deviceNumber(n: number | null | undefined, what: string, rule: string): number {
  if (n === undefined || n === null || n < 0) return -1;
  if (!Number.isInteger(n) || n > 0xffffffff)
    throw new HakoError(`cgroup devices: ${what} ${n} of rule "${rule}" is not a 32-bit device number (linux.resources.devices)`);
  return n;
}

const accessString = (bits: number): string =>
  `${bits & BPF_DEVCG_ACC_READ ? 'r' : ''}${bits & BPF_DEVCG_ACC_WRITE ? 'w' : ''}${bits & BPF_DEVCG_ACC_MKNOD ? 'm' : ''}`;
const num = (n: number): string => (n < 0 ? '*' : String(n));

/** Replays `rules` in order on an emulated v1 devices cgroup (which starts as default-deny). */
export function emulateDeviceRules(rules: readonly DeviceCgroup[]): EmulatedRules {
  let defaultAllow = false;
  let exceptions = new Map<string, DeviceException>();
  for (const r of rules) {
    const text = deviceRuleString(r);
    const type = deviceType(r);
    if (type === 'a') {
      // v1 ignores numbers and access of an "a" rule: it only switches the default.
      defaultAllow = r.allow;
      exceptions = new Map();
      continue;
    }
    if (type !== 'b' && type !== 'c')
      throw new HakoError(`cgroup devices: type '${String(type)}' of rule "${text}" must be a, b or c (linux.resources.devices)`);
    const major = deviceNumber(r.major, 'major', text);
    const minor = deviceNumber(r.minor, 'minor', text);
    const access = accessBits(r.access);
    const key = `${type} ${major}:${minor}`;
    const existing = exceptions.get(key);
    if (r.allow !== defaultAllow && !access && !existing) {
      // runc 1.1 refuses this too on v1 (its result would not match devices.list); on v2 it would
      // silently drop the rule. A rule that can never match is a typo such as "RW".
      throw new HakoError(`cgroup devices: access '${r.access}' of rule "${text}" has none of r, w and m (linux.resources.devices)`);
    }
    if (r.allow !== defaultAllow) {
      // Adds an exception (allow in default-deny, deny in default-allow); access bits merge.
      exceptions.set(key, { type, major, minor, access: access | (existing?.access ?? 0) });
      continue;
    }
    // Removes (bits of) an exact exception. v1 silently ignores a removal that only overlaps a
    // wildcard exception; like runc we refuse it rather than let a config look safer than it is.
    for (const [pmaj, pmin] of [
      [-1, minor],
      [major, -1],
      [-1, -1],
    ] as const) {
      if (pmaj === major && pmin === minor) continue;
      const wide = exceptions.get(`${type} ${pmaj}:${pmin}`);
      if (wide && wide.access & access) {
        throw new HakoError(
          `cgroup devices: rule "${text}" (${r.allow ? 'allow' : 'deny'}) cannot punch a hole in the wildcard rule "${type} ${num(pmaj)}:${num(pmin)} ${accessString(wide.access)}" (${r.allow ? 'deny' : 'allow'}); cgroup v1 would ignore it (linux.resources.devices)`,
        );
      }
    }
    if (existing) {
      const left = existing.access & ~access;
      if (left) exceptions.set(key, { ...existing, access: left });
      else exceptions.delete(key);
    }
  }
  const sorted = [...exceptions.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { defaultAllow, exceptions: sorted };
}

// ---- eBPF encoding: struct bpf_insn { u8 code; u8 dst:4, src:4; s16 off; s32 imm; } little-endian.
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K (32-bit)
const ALU_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const ALU_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K (64-bit compare, imm sign-extended)
const JMP_JNE_X = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const JMP_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** For jumps: the index of the block to go to; resolved into `off` at the end. */
  toBlock?: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number, toBlock?: number): Insn => ({ code, dst, src, off, imm, toBlock });

/** The program for an emulated rule set, instruction for instruction runc's devicefilter (except
 *  the access check of partial deny exceptions, see below):
 *  R2 = type, R3 = access, R4 = major, R5 = minor; one block per exception that jumps to the next
 *  block on any mismatch and otherwise returns !default; the last block returns the default. */
export function generateProgram(emulated: EmulatedRules): Buffer {
  const insns: Insn[] = [
    insn(LDX_MEM_W, 2, 1, 0, 0), // R2 = ctx->access_type
    insn(ALU_AND_K, 2, 0, 0, 0xffff), // R2 &= 0xffff: the type
    insn(LDX_MEM_W, 3, 1, 0, 0), // R3 = ctx->access_type
    insn(ALU_RSH_K, 3, 0, 0, 16), // R3 >>= 16: the access bits
    insn(LDX_MEM_W, 4, 1, 4, 0), // R4 = ctx->major
    insn(LDX_MEM_W, 5, 1, 8, 0), // R5 = ctx->minor
  ];
  const blockStart: number[] = [];
  const verdict = emulated.defaultAllow ? 0 : 1; // what an exception decides
  emulated.exceptions.forEach((ex, i) => {
    const next = i + 1;
    blockStart.push(insns.length);
    insns.push(insn(JMP_JNE_K, 2, 0, 0, ex.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, next));
    if (ex.access !== ACC_ALL && !emulated.defaultAllow) {
      // An allow exception must cover every requested bit: if ((R3 & access) != R3) next.
      insns.push(insn(ALU_MOV_X, 1, 3, 0, 0), insn(ALU_AND_K, 1, 0, 0, ex.access), insn(JMP_JNE_X, 1, 3, 0, 0, next));
    } else if (ex.access !== ACC_ALL) {
      // A deny exception hits on any common bit: if ((R3 & access) == 0) next. (runc uses the
      // allow check here too, which lets O_RDWR past a "deny w"; the kernel's v1 does not.)
      insns.push(insn(ALU_MOV_X, 1, 3, 0, 0), insn(ALU_AND_K, 1, 0, 0, ex.access), insn(JMP_JEQ_K, 1, 0, 0, 0, next));
    }
    if (ex.major >= 0) insns.push(insn(JMP_JNE_K, 4, 0, 0, ex.major | 0, next));
    if (ex.minor >= 0) insns.push(insn(JMP_JNE_K, 5, 0, 0, ex.minor | 0, next));
    insns.push(insn(ALU_MOV_K, 0, 0, 0, verdict), insn(JMP_EXIT, 0, 0, 0, 0));
  });
  blockStart.push(insns.length);
  insns.push(insn(ALU_MOV_K, 0, 0, 0, emulated.defaultAllow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0));

  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, pc) => {
    const off = ins.toBlock === undefined ? ins.off : blockStart[ins.toBlock]! - (pc + 1);
    out.writeUInt8(ins.code, pc * 8);
    out.writeUInt8((ins.src << 4) | ins.dst, pc * 8 + 1);
    out.writeInt16LE(off, pc * 8 + 2);
    out.writeInt32LE(ins.imm | 0, pc * 8 + 4);
  });
  return out;
}

/** OCI device rules -> the eBPF program (raw struct bpf_insn bytes) enforcing them. */
export function compileDeviceFilter(rules: readonly DeviceCgroup[]): Buffer {
  return generateProgram(emulateDeviceRules(rules));
}

/** The full rule list of a container, as the v1 driver writes it (convert.ts deviceWrites):
 *  deny everything, then the config's rules in order, then runc's default allowed devices. */
export function containerDeviceRules(rules: readonly DeviceCgroup[] | undefined): DeviceCgroup[] {
  return [{ allow: false, type: 'a', access: 'rwm' }, ...(rules ?? []), ...DEFAULT_ALLOWED_DEVICES];
}

/** Attaches a compiled program to a cgroup2 directory (replacing the device programs attached there
 *  before). Injected into the v2 driver so unit tests can see the call without a kernel. */
export type DeviceFilterAttacher = (cgroupDir: string, program: Buffer) => void;

/** The real attacher: `hako-init bpf-devices DIR` with the program on stdin. A separate short-lived
 *  process because bpf(2) needs a syscall Node does not offer; it runs during create(), before any
 *  process is in the cgroup, so there is no moment where the container runs unfiltered. */
export const attachDeviceFilter: DeviceFilterAttacher = (cgroupDir, program) => {
  try {
    bpfDevices(cgroupDir, program);
  } catch (err) {
    const text = (err as Error).message.replace(/^bpf_devices: /, '');
    throw new HakoError(`cgroup devices: attaching the device filter to ${cgroupDir}: ${text}`);
  }
};
