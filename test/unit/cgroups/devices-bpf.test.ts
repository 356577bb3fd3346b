// The cgroup v2 device filter: the generated eBPF compared with runc's documented programs, and run
// on a small eBPF interpreter (below, just the opcodes the generator emits, with the kernel's
// register semantics) to check allow/deny decisions. Plus the v2 driver's use of it on the fake tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  BPF_DEVCG_ACC_MKNOD as M,
  BPF_DEVCG_ACC_READ as R,
  BPF_DEVCG_ACC_WRITE as W,
  compileDeviceFilter,
  containerDeviceRules,
  emulateDeviceRules,
  generateProgram,
  type EmulatedRules,
} from '../../../src/cgroups/devices-bpf.js';
import { DEFAULT_ALLOWED_DEVICES } from '../../../src/cgroups/convert.js';
import { V2Cgroup } from '../../../src/cgroups/v2.js';
import type { DeviceCgroup } from '../../../src/oci/types.js';
import { HakoError } from '../../../src/util/errors.js';
import { FakeCgroup2 } from './fakefs.js';

// ---- a tiny eBPF interpreter -------------------------------------------------------------------

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

/** Runs `prog` with struct bpf_cgroup_dev_ctx { access_type = (access << 16) | type, major, minor }.
 *  Throws on anything the generator should never emit or the verifier would reject. */
function run(prog: Buffer, type: 'b' | 'c', major: number, minor: number, access: number): number {
  assert.equal(prog.length % 8, 0);
  const n = prog.length / 8;
  const ctx = [BigInt(((access << 16) | (type === 'c' ? 2 : 1)) >>> 0), BigInt(major >>> 0), BigInt(minor >>> 0)];
  const reg: (bigint | undefined)[] = new Array(11).fill(undefined);
  let r1IsCtx = true;
  let pc = 0;
  for (let steps = 0; steps < 10000; steps++) {
    assert.ok(pc >= 0 && pc < n, `pc ${pc} out of the program (${n} instructions)`);
    const code = prog.readUInt8(pc * 8);
    const regs = prog.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    const get = (r: number): bigint => {
      const v = reg[r];
      assert.ok(v !== undefined, `pc ${pc}: r${r} read before it was written`);
      return v;
    };
    const set = (r: number, v: bigint): void => {
      assert.ok(r <= 9, `pc ${pc}: write to r${r}`);
      if (r === 1) r1IsCtx = false;
      reg[r] = v & U64;
    };
    const immU64 = BigInt(imm) & U64; // sign-extended, as the kernel does
    pc++;
    switch (code) {
      case 0x61: // ldxw dst, [src + off]
        assert.ok(src === 1 && r1IsCtx, `pc ${pc - 1}: load not from the ctx`);
        assert.ok(off === 0 || off === 4 || off === 8, `pc ${pc - 1}: ctx offset ${off}`);
        set(dst, ctx[off / 4]!);
        break;
      case 0x54:
        set(dst, get(dst) & BigInt(imm >>> 0) & U32);
        break; // and32 dst, imm
      case 0x74:
        set(dst, (get(dst) & U32) >> BigInt(imm & 31));
        break; // rsh32 dst, imm
      case 0xb4:
        set(dst, BigInt(imm >>> 0));
        break; // mov32 dst, imm
      case 0xbc:
        set(dst, get(src) & U32);
        break; // mov32 dst, src
      case 0x55:
        if (get(dst) !== immU64) pc += off;
        break; // jne dst, imm
      case 0x5d:
        if (get(dst) !== get(src)) pc += off;
        break; // jne dst, src
      case 0x15:
        if (get(dst) === immU64) pc += off;
        break; // jeq dst, imm
      case 0x95:
        return Number(get(0)); // exit
      default:
        assert.fail(`pc ${pc - 1}: unexpected opcode 0x${code.toString(16)}`);
    }
  }
  assert.fail('program did not terminate');
}

/** Every instruction must be reachable (the kernel verifier rejects dead code) and end in exit. */
function assertAllReachable(prog: Buffer): void {
  const n = prog.length / 8;
  const seen = new Set<number>();
  const todo = [0];
  while (todo.length) {
    const pc = todo.pop()!;
    if (seen.has(pc)) continue;
    assert.ok(pc < n, `falls off the end at ${pc}`);
    seen.add(pc);
    const code = prog.readUInt8(pc * 8);
    if (code === 0x95) continue;
    todo.push(pc + 1);
    if (code === 0x55 || code === 0x5d || code === 0x15) todo.push(pc + 1 + prog.readInt16LE(pc * 8 + 2));
  }
  assert.equal(seen.size, n, 'unreachable instructions');
}

// ---- a disassembler in the format of runc's devicefilter_test.go dumps (jumps as absolute targets)

function disassemble(prog: Buffer): string[] {
  const out: string[] = [];
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = prog.readUInt8(pc * 8);
    const regs = prog.readUInt8(pc * 8 + 1);
    const [dst, src] = [`r${regs & 0xf}`, `r${regs >> 4}`];
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    const target = pc + 1 + off;
    const text: Record<number, string> = {
      97: `LdXMemW ${dst} ${src} ${off}`,
      84: `AndImm32 ${dst} ${imm}`,
      116: `RShImm32 ${dst} ${imm}`,
      180: `MovImm32 ${dst} ${imm}`,
      188: `MovReg32 ${dst} ${src}`,
      85: `JNEImm ${dst} ${imm} ->${target}`,
      93: `JNEReg ${dst} ${src} ->${target}`,
      21: `JEqImm ${dst} ${imm} ->${target}`,
      149: 'Exit',
    };
    out.push(text[code] ?? `?0x${code.toString(16)}`);
  }
  return out;
}

/** runc's dumps are blocks after the same 6-instruction prologue; `->N` names block N. */
function expectedProgram(blocks: string[][]): string[] {
  const prologue = ['LdXMemW r2 r1 0', 'AndImm32 r2 65535', 'LdXMemW r3 r1 0', 'RShImm32 r3 16', 'LdXMemW r4 r1 4', 'LdXMemW r5 r1 8'];
  const starts: number[] = [];
  let at = prologue.length;
  for (const b of blocks) {
    starts.push(at);
    at += b.length;
  }
  return [...prologue, ...blocks.flat().map((l) => l.replace(/->block(\d+)$/, (_, i: string) => `->${starts[Number(i)]}`))];
}

const devRule = (allow: boolean, type: 'a' | 'b' | 'c', major: number | null, minor: number | null, access: string): DeviceCgroup => ({
  allow,
  type,
  major,
  minor,
  access,
});
const allowBlock = (type: number, major: number | null, minor: number | null, next: number, access?: number, verdict = 1): string[] => [
  `JNEImm r2 ${type} ->block${next}`,
  ...(access === undefined ? [] : ['MovReg32 r1 r3', `AndImm32 r1 ${access}`, `JNEReg r1 r3 ->block${next}`]),
  ...(major === null ? [] : [`JNEImm r4 ${major} ->block${next}`]),
  ...(minor === null ? [] : [`JNEImm r5 ${minor} ->block${next}`]),
  `MovImm32 r0 ${verdict}`,
  'Exit',
];

test('device filter: no rules is runc TestDeviceFilter_Nil (reject everything)', () => {
  const prog = compileDeviceFilter([]);
  assert.deepEqual(disassemble(prog), expectedProgram([['MovImm32 r0 0', 'Exit']]));
  assert.equal(run(prog, 'c', 1, 3, R), 0);
});

test('device filter: runc default allowed devices give runc TestDeviceFilter_BuiltInAllowList, byte for byte layout', () => {
  const prog = compileDeviceFilter([...DEFAULT_ALLOWED_DEVICES]);
  // runc's emulator orders the exceptions by (major, minor, type), wildcards (-1) first.
  const expected = expectedProgram([
    allowBlock(1, null, null, 1, 1), // b *:* m
    allowBlock(2, null, null, 2, 1), // c *:* m
    allowBlock(2, 1, 3, 3),
    allowBlock(2, 1, 5, 4),
    allowBlock(2, 1, 7, 5),
    allowBlock(2, 1, 8, 6),
    allowBlock(2, 1, 9, 7),
    allowBlock(2, 5, 0, 8),
    allowBlock(2, 5, 2, 9),
    allowBlock(2, 10, 200, 10), // tun
    allowBlock(2, 136, null, 11), // /dev/pts/*
    ['MovImm32 r0 0', 'Exit'],
  ]);
  assert.deepEqual(disassemble(prog), expected);
  assert.equal(prog.length, 64 * 8); // runc's dump ends at instruction 63
  assertAllReachable(prog);
  // The encoding itself, for two instructions: ldxw r4, [r1+4] and jne r2, 1, +3.
  assert.equal(prog.subarray(4 * 8, 5 * 8).toString('hex'), '6114040000000000');
  assert.equal(prog.subarray(6 * 8, 7 * 8).toString('hex'), '5502050001000000');
});

test('device filter: runc TestDeviceFilter_Privileged, _PrivilegedExceptSingleDevice and _Weird', () => {
  assert.deepEqual(disassemble(compileDeviceFilter([devRule(true, 'a', -1, -1, 'rwm')])), expectedProgram([['MovImm32 r0 1', 'Exit']]));
  const except = compileDeviceFilter([devRule(true, 'a', -1, -1, 'rwm'), devRule(false, 'b', 8, 0, 'rwm')]);
  assert.deepEqual(disassemble(except), expectedProgram([allowBlock(1, 8, 0, 1, undefined, 0), ['MovImm32 r0 1', 'Exit']]));
  // "8/1 is allowed, 8/2 is not": the allow-all drops the earlier deny.
  const weird = compileDeviceFilter([devRule(false, 'b', 8, 1, 'rwm'), devRule(true, 'a', -1, -1, 'rwm'), devRule(false, 'b', 8, 2, 'rwm')]);
  assert.deepEqual(disassemble(weird), expectedProgram([allowBlock(1, 8, 2, 1, undefined, 0), ['MovImm32 r0 1', 'Exit']]));
  assert.equal(run(weird, 'b', 8, 1, R | W), 1);
  assert.equal(run(weird, 'b', 8, 2, R), 0);
  assert.equal(run(weird, 'c', 8, 2, R), 1);
});

test('device filter: a container with the default rules (deny all, config rules, runc defaults)', () => {
  const prog = compileDeviceFilter(containerDeviceRules([{ allow: false, access: 'rwm' }, devRule(true, 'c', 10, 229, 'rwm')]));
  assertAllReachable(prog);
  const cases: [type: 'b' | 'c', major: number, minor: number, access: number, allowed: number, what: string][] = [
    ['c', 1, 3, R | W, 1, '/dev/null rw'],
    ['c', 1, 5, R, 1, '/dev/zero r'],
    ['c', 1, 9, R, 1, '/dev/urandom'],
    ['c', 5, 2, R | W, 1, '/dev/ptmx'],
    ['c', 136, 7, R | W, 1, '/dev/pts/7'],
    ['c', 10, 229, R | W, 1, 'fuse, from the config'],
    ['c', 10, 200, R | W, 1, 'tun'],
    ['c', 1, 1, R, 0, '/dev/mem'],
    ['c', 4, 1, W, 0, '/dev/tty1'],
    ['b', 8, 0, R, 0, '/dev/sda read'],
    ['b', 8, 0, M, 1, 'mknod of any block device'],
    ['c', 99, 99, M, 1, 'mknod of any char device'],
    ['c', 10, 228, R, 0, 'a neighbour of fuse'],
    ['c', 0x80000003, 3, R, 0, 'a huge major'],
  ];
  for (const [type, major, minor, access, allowed, what] of cases) assert.equal(run(prog, type, major, minor, access), allowed, what);
});

test('device filter: access bits follow cgroup v1 (one exception must cover every requested bit)', () => {
  const base = devRule(false, 'a', null, null, 'rwm');
  // A partial deny removes bits: O_RDWR (r|w) is refused, not let through by the remaining "rm".
  let prog = compileDeviceFilter([base, devRule(true, 'c', 1, 3, 'rwm'), devRule(false, 'c', 1, 3, 'w')]);
  assert.equal(run(prog, 'c', 1, 3, R), 1);
  assert.equal(run(prog, 'c', 1, 3, W), 0);
  assert.equal(run(prog, 'c', 1, 3, R | W), 0);
  assert.equal(run(prog, 'c', 1, 3, M), 1);
  // Two allows for one device merge, as in the kernel.
  prog = compileDeviceFilter([base, devRule(true, 'c', 1, 3, 'r'), devRule(true, 'c', 1, 3, 'w')]);
  assert.equal(run(prog, 'c', 1, 3, R | W), 1);
  assert.equal(run(prog, 'c', 1, 3, M), 0);
  // Wildcard minor and a read-only wildcard major.
  prog = compileDeviceFilter([base, devRule(true, 'c', 4, null, 'rw'), devRule(true, 'b', null, 0, 'r')]);
  assert.equal(run(prog, 'c', 4, 64, R | W), 1);
  assert.equal(run(prog, 'c', 4, 64, M), 0);
  assert.equal(run(prog, 'b', 259, 0, R), 1);
  assert.equal(run(prog, 'b', 259, 0, W), 0);
  assert.equal(run(prog, 'b', 259, 1, R), 0);
  // Deny all again at the end wins over everything before it.
  prog = compileDeviceFilter([devRule(true, 'c', 1, 3, 'rwm'), base]);
  assert.equal(run(prog, 'c', 1, 3, R), 0);
  // Empty access means rwm; absent type means a.
  prog = compileDeviceFilter([base, { allow: true, type: 'c', major: 1, minor: 3, access: '' }]);
  assert.equal(run(prog, 'c', 1, 3, R | W), 1);
  prog = compileDeviceFilter([base, { allow: true, access: 'rwm' }]);
  assert.equal(run(prog, 'b', 8, 0, W), 1);
});

test('device filter: privileged (allow a) stays allow-all with the runc defaults appended', () => {
  const prog = compileDeviceFilter(containerDeviceRules([devRule(true, 'a', null, null, 'rwm'), devRule(false, 'b', 8, 0, 'w')]));
  assert.equal(run(prog, 'b', 8, 1, R | W), 1);
  assert.equal(run(prog, 'c', 1, 1, R), 1);
  assert.equal(run(prog, 'b', 8, 0, R), 1);
  assert.equal(run(prog, 'b', 8, 0, R | W), 0); // O_RDWR shares "w" with the deny
  assert.equal(run(prog, 'b', 8, 0, W), 0);
  assert.equal(run(prog, 'b', 8, 0, M), 1);
  assert.deepEqual(disassemble(prog).slice(6), [
    'JNEImm r2 1 ->14',
    'MovReg32 r1 r3',
    'AndImm32 r1 4',
    'JEqImm r1 0 ->14',
    'JNEImm r4 8 ->14',
    'JNEImm r5 0 ->14',
    'MovImm32 r0 0',
    'Exit',
    'MovImm32 r0 1',
    'Exit',
  ]);
});

test('device filter: rules v1 would silently ignore, and malformed rules, are one-line errors', () => {
  const bad: [DeviceCgroup[], RegExp][] = [
    [
      [devRule(true, 'c', null, null, 'rwm'), devRule(false, 'c', 1, 3, 'rwm')],
      /^cgroup devices: rule "c 1:3 rwm" \(deny\) cannot punch a hole in the wildcard rule "c \*:\* rwm" \(allow\)/,
    ],
    [[devRule(true, 'c', 1, null, 'r'), devRule(false, 'c', 1, 3, 'rw')], /punch a hole in the wildcard rule "c 1:\* r"/],
    [
      [devRule(true, 'a', null, null, 'rwm'), devRule(false, 'b', null, 0, 'm'), devRule(true, 'b', 8, 0, 'rwm')],
      /rule "b 8:0 rwm" \(allow\) cannot punch a hole in the wildcard rule "b \*:0 m" \(deny\)/,
    ],
    [[devRule(true, 'c', 1, 3, 'RW')], /^cgroup devices: access 'RW' of rule "c 1:3 " has none of r, w and m \(linux\.resources\.devices\)$/],
    [[{ allow: true, type: 'x' as 'c', major: 1, minor: 3, access: 'r' }], /^cgroup devices: type 'x' of rule/],
    [[devRule(true, 'c', 2 ** 33, 3, 'r')], /^cgroup devices: major 8589934592 of rule "c 8589934592:3 r" is not a 32-bit device number/],
  ];
  for (const [rules, re] of bad) {
    assert.throws(
      () => compileDeviceFilter(rules),
      (e: unknown) => e instanceof HakoError && !e.message.includes('\n') && re.test(e.message),
      JSON.stringify(rules),
    );
  }
  // Not a hole: removing bits the wildcard does not have is fine.
  assert.doesNotThrow(() => compileDeviceFilter([devRule(true, 'c', null, null, 'm'), devRule(false, 'c', 1, 3, 'rw')]));
});

test('device filter: generated code agrees with the emulated exceptions on random rule sets', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5; // xorshift32: deterministic
    return (seed >>> 0) % n;
  };
  const pick = (): number => [-1, 0, 1, 3, 8][rnd(5)]!;
  for (let round = 0; round < 300; round++) {
    const emulated: EmulatedRules = { defaultAllow: rnd(2) === 1, exceptions: [] };
    for (let i = rnd(6); i > 0; i--) emulated.exceptions.push({ type: rnd(2) ? 'c' : 'b', major: pick(), minor: pick(), access: 1 + rnd(7) });
    const prog = generateProgram(emulated);
    assertAllReachable(prog);
    for (let q = 0; q < 40; q++) {
      const [type, major, minor, access] = [rnd(2) ? 'c' : 'b', [0, 1, 3, 8, 9][rnd(5)]!, [0, 1, 3, 8, 9][rnd(5)]!, 1 + rnd(7)] as const;
      // The kernel's v1 check: default-deny needs one exception covering every requested bit,
      // default-allow denies when any exception shares a bit with the request.
      const bitsMatch = (e: { access: number }): boolean => (emulated.defaultAllow ? (access & e.access) !== 0 : (access & e.access) === access);
      const hit = emulated.exceptions.find((e) => e.type === type && (e.major < 0 || e.major === major) && (e.minor < 0 || e.minor === minor) && bitsMatch(e));
      const want = hit ? (emulated.defaultAllow ? 0 : 1) : emulated.defaultAllow ? 1 : 0;
      assert.equal(run(prog, type, major, minor, access), want, JSON.stringify({ emulated, type, major, minor, access }));
    }
  }
});

test('device filter: access as runc 1.1 reads it: other letters ignored, repeats and order do not matter', () => {
  const rules = (access: string): DeviceCgroup[] => [devRule(true, 'c', 10, 229, access)];
  const exceptions = (access: string) => emulateDeviceRules(rules(access)).exceptions;
  for (const access of ['rwa', 'rrw', 'wr', 'r w', 'rwx']) assert.deepEqual(exceptions(access), exceptions('rw'), access);
  assert.deepEqual(exceptions('mwr'), [{ type: 'c', major: 10, minor: 229, access: R | W | M }]);
  // A rule with none of r, w, m: refused when it would be the only allow (runc v1 refuses it too),
  // nothing when it adds to or removes from an existing exception.
  assert.throws(() => emulateDeviceRules(rules('a')), /has none of r, w and m/);
  assert.deepEqual(emulateDeviceRules([...rules('r'), devRule(true, 'c', 10, 229, 'x')]).exceptions, exceptions('r'));
  assert.deepEqual(emulateDeviceRules([...rules('r'), devRule(false, 'c', 10, 229, 'x')]).exceptions, exceptions('r'));
  // An "a" rule's access is ignored, and an empty type is "a".
  assert.deepEqual(emulateDeviceRules([{ allow: true, type: '' as 'a', access: 'q' }]), { defaultAllow: true, exceptions: [] });
});

test('device filter: emulation sorts exceptions by major, minor, type and merges access', () => {
  const e = emulateDeviceRules([devRule(true, 'c', 5, 0, 'r'), devRule(true, 'b', 5, 0, 'r'), devRule(true, 'c', null, 2, 'w'), devRule(true, 'c', 5, 0, 'm')]);
  assert.deepEqual(e, {
    defaultAllow: false,
    exceptions: [
      { type: 'c', major: -1, minor: 2, access: W },
      { type: 'b', major: 5, minor: 0, access: R },
      { type: 'c', major: 5, minor: 0, access: R | M },
    ],
  });
});

// ---- the v2 driver on the fake tree --------------------------------------------------------------

function driver(t: { after: (fn: () => void) => void }, attach: (dir: string, prog: Buffer) => void) {
  const fake = new FakeCgroup2();
  t.after(() => fake.cleanup());
  const warnings: string[] = [];
  const cg = new V2Cgroup('/hako/dev', fake.root, fake, (m) => warnings.push(m), attach);
  return { fake, cg, warnings, dir: `${fake.root}/hako/dev` };
}

test('v2 driver: create() attaches the compiled program of the full rule list to the cgroup directory', (t) => {
  const calls: { dir: string; prog: Buffer; existed: boolean }[] = [];
  const { cg, dir } = driver(t, (d, prog) => calls.push({ dir: d, prog, existed: fs.existsSync(d) }));
  const devices: DeviceCgroup[] = [{ allow: false, access: 'rwm' }, devRule(true, 'c', 10, 229, 'rwm')];
  cg.create({ devices, pids: { limit: 5 } });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.dir, dir);
  assert.ok(calls[0]!.existed, 'attached before the directory existed');
  assert.deepEqual(calls[0]!.prog, compileDeviceFilter(containerDeviceRules(devices)));
  assert.equal(run(calls[0]!.prog, 'c', 10, 229, R), 1);
  assert.equal(run(calls[0]!.prog, 'c', 1, 1, R), 0);
  // No devices in the config: still the default-deny program with runc's defaults.
  const { cg: cg2 } = driver(t, (_d, prog) => calls.push({ dir: _d, prog, existed: true }));
  cg2.create({});
  assert.deepEqual(calls[1]!.prog, compileDeviceFilter(containerDeviceRules(undefined)));
  assert.equal(run(calls[1]!.prog, 'c', 10, 229, R), 0);
  // update() leaves the device filter alone (like v1 and runc).
  cg.update({ devices: [devRule(true, 'a', null, null, 'rwm')], pids: { limit: 6 } });
  assert.equal(calls.length, 2);
});

test('v2 driver: a failing attach or a bad rule fails create() and leaves no directory', (t) => {
  let called = 0;
  const { fake, cg } = driver(t, () => {
    called++;
    throw new HakoError('cgroup devices: attaching the device filter to X: BPF_PROG_ATTACH: Invalid argument');
  });
  assert.throws(() => cg.create({}), /cgroup devices: attaching the device filter to X: BPF_PROG_ATTACH: Invalid argument$/);
  assert.equal(called, 1);
  assert.equal(fs.existsSync(`${fake.root}/hako`), false);
  assert.throws(() => cg.create({ devices: [devRule(true, 'c', null, null, 'rwm'), devRule(false, 'c', 1, 3, 'rwm')] }), /punch a hole/);
  assert.equal(called, 1, 'attached although the rules were refused');
  assert.equal(fs.existsSync(`${fake.root}/hako`), false);
});

test('v2 driver: EPERM from bpf(2) is an error as root, a warning rootless', (t) => {
  const { cg, warnings } = driver(t, () => {
    throw new HakoError(
      'cgroup devices: attaching the device filter to X: BPF_PROG_LOAD (BPF_PROG_TYPE_CGROUP_DEVICE, 64 instructions): Operation not permitted',
    );
  });
  if (process.geteuid!() === 0) {
    assert.throws(() => cg.create({}), /Operation not permitted$/);
    assert.equal(cg.exists(), false);
  } else {
    cg.create({});
    assert.equal(cg.exists(), true);
    assert.match(warnings.join('|'), /^linux\.resources\.devices not enforced: .*Operation not permitted \(rootless\)$/);
  }
});
