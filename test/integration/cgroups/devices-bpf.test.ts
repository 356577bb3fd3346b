// cgroup v2 device filtering with the real kernel: programs compiled by src/cgroups/devices-bpf.ts,
// attached by `hako-init bpf-devices` to cgroups under a cgroup2 mount (BPF device programs need no
// controller: on this hybrid host /sys/fs/cgroup/unified, on a pure v2 host /sys/fs/cgroup, which
// scripts/test-vm.sh runs in a VM), and busybox processes inside them opening and creating device
// nodes. Needs root and a built native/hako-init.
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectLayout, openCgroup, type Cgroup } from '../../../src/cgroups/index.js';
import { attachDeviceFilter, compileDeviceFilter } from '../../../src/cgroups/devices-bpf.js';
import type { DeviceCgroup } from '../../../src/oci/types.js';
import { encodePlan } from '../../../src/native/encode.js';
import { findHelper } from '../../../src/native/find.js';
import { HakoError } from '../../../src/util/errors.js';
import { cleanupCgroup, startInCgroup, withTimeout } from './helpers.js';

const layout = detectLayout();
const ROOT = layout === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : layout === 'v1' || !fs.existsSync(`${ROOT}/cgroup.controllers`)
      ? 'no cgroup2 mount: neither a v2 host nor /sys/fs/cgroup/unified'
      : false;

const denyAll: DeviceCgroup = { allow: false, type: 'a', access: 'rwm' };
const rule = (allow: boolean, type: 'b' | 'c', major: number | null, minor: number | null, access: string): DeviceCgroup => ({
  allow,
  type,
  major,
  minor,
  access,
});

/** Runs `script` in busybox sh inside `cg` and returns what it printed. */
async function runIn(cg: Cgroup, script: string): Promise<{ out: string; err: string }> {
  const p = startInCgroup(cg, script);
  await withTimeout('the script to finish', p.exited);
  return { out: p.stdout(), err: p.stderr() };
}

describe('cgroup v2 device filter (eBPF) on the real cgroup2 mount', { skip }, () => {
  const base = `/hako-devtest-${Math.random().toString(16).slice(2, 10)}`;
  const open = (p: string): Cgroup => openCgroup(p, { root: ROOT, layout: 'v2' });
  const baseCg = open(base);
  let tmp = '';
  let subtreeBefore = '';

  before(() => {
    subtreeBefore = fs.readFileSync(`${ROOT}/cgroup.subtree_control`, 'utf8').trim();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-devtest-'));
  });
  after(async () => {
    await cleanupCgroup(baseCg);
    assert.equal(fs.existsSync(`${ROOT}${base}`), false);
    fs.rmSync(tmp, { recursive: true, force: true });
    // create() enabled the root's controllers in its subtree_control: put it back as it was.
    const now = fs.readFileSync(`${ROOT}/cgroup.subtree_control`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const was = new Set(subtreeBefore.split(/\s+/).filter(Boolean));
    for (const c of now) if (!was.has(c)) fs.writeFileSync(`${ROOT}/cgroup.subtree_control`, `-${c}`);
  });

  const nullAndZero = 'cat /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok; true';

  test('only /dev/null allowed: /dev/zero is refused with EPERM; allow c *:* rwm replaces the program', async () => {
    const cg = open(`${base}/only-null`);
    cg.create();
    const dir = `${ROOT}${base}/only-null`;
    attachDeviceFilter(dir, compileDeviceFilter([denyAll, rule(true, 'c', 1, 3, 'rwm')]));
    let r = await runIn(cg, nullAndZero);
    assert.match(r.out, /^null-ok$/m);
    assert.doesNotMatch(r.out, /zero-ok/);
    assert.match(r.err, /\/dev\/zero: Operation not permitted/);

    // A second attach replaces the first (were both attached, the first would still refuse zero).
    attachDeviceFilter(dir, compileDeviceFilter([denyAll, rule(true, 'c', null, null, 'rwm')]));
    r = await runIn(cg, nullAndZero);
    assert.match(r.out, /^null-ok$/m);
    assert.match(r.out, /^zero-ok$/m);
    assert.equal(r.err, '');
    // And back: replacing works in both directions.
    attachDeviceFilter(dir, compileDeviceFilter([denyAll]));
    r = await runIn(cg, nullAndZero);
    assert.equal(r.out, '');
    assert.match(r.err, /\/dev\/null: Operation not permitted/);
    cg.destroy();
  });

  test('mknod needs "m": refused without it, allowed with it (and then opening still needs r)', async () => {
    const cg = open(`${base}/mknod`);
    cg.create();
    const dir = `${ROOT}${base}/mknod`;
    const node = path.join(tmp, 'null1');
    attachDeviceFilter(dir, compileDeviceFilter([denyAll, rule(true, 'c', 1, 3, 'rw')]));
    let r = await runIn(cg, `busybox mknod ${node} c 1 3 && echo mknod-ok; cat /dev/null && echo open-ok; true`);
    assert.doesNotMatch(r.out, /mknod-ok/);
    assert.match(r.err, /Operation not permitted/);
    assert.match(r.out, /^open-ok$/m);
    assert.equal(fs.existsSync(node), false);

    attachDeviceFilter(dir, compileDeviceFilter([denyAll, rule(true, 'c', null, null, 'm')]));
    r = await runIn(cg, `busybox mknod ${node} c 1 3 && echo mknod-ok; cat ${node} && echo open-ok; true`);
    assert.match(r.out, /^mknod-ok$/m);
    assert.doesNotMatch(r.out, /open-ok/);
    assert.match(r.err, /null1': Operation not permitted/);
    assert.equal(fs.statSync(node).isCharacterDevice(), true);
    cg.destroy();
  });

  test('the v2 driver enforces a config: runc defaults, config rules, everything else refused; a partial deny holds for O_RDWR', async () => {
    const kmsg = path.join(tmp, 'kmsg');
    // `true`, not `:`: a failed redirection on a special builtin would end the shell.
    const open2 = (p: string): string =>
      `true < ${p} && echo ${path.basename(p)}-r; true > ${p} && echo ${path.basename(p)}-w; true <> ${p} && echo ${path.basename(p)}-rw`;
    // Defaults only: mknod of anything is allowed (runc's default "c *:* m"), opening kmsg is not.
    const plain = open(`${base}/plain`);
    plain.create({ devices: [denyAll] });
    let r = await runIn(plain, `busybox mknod ${kmsg} c 1 11 && echo mknod-ok; ${open2(kmsg)}; ${open2('/dev/zero')}; true`);
    assert.deepEqual(r.out.trim().split('\n'), ['mknod-ok', 'zero-r', 'zero-w', 'zero-rw'], r.err);
    assert.equal(r.err.match(/kmsg: Operation not permitted/g)?.length, 3, r.err);
    await cleanupCgroup(plain);

    // A config rule for kmsg, with "w" taken away again: read-only, and O_RDWR (r|w) refused too.
    const cfg = open(`${base}/config`);
    cfg.create({ devices: [denyAll, rule(true, 'c', 1, 11, 'rwm'), rule(false, 'c', 1, 11, 'w')] });
    r = await runIn(cfg, `${open2(kmsg)}; true`);
    assert.deepEqual(r.out.trim().split('\n'), ['kmsg-r'], r.err);
    assert.equal(r.err.match(/Operation not permitted/g)?.length, 2, r.err);
    await cleanupCgroup(cfg);
  });

  test('the plan operation bpf_devices attaches a program given as raw bytes in the plan', async () => {
    const cg = open(`${base}/plan`);
    cg.create();
    const dir = `${ROOT}${base}/plan`;
    const program = compileDeviceFilter([denyAll, rule(true, 'c', 1, 3, 'rwm')]);
    assert.ok(program.includes(0), 'the program should contain NUL bytes, to show the plan carries them');
    // No sync socket (fd 4): hako-init then reports errors on stderr.
    const plan = encodePlan([
      ['bpf_devices', dir, program],
      ['write', `${dir}/cgroup.procs`, '0'], // the helper moves itself into the cgroup
      ['exec', '4', '/bin/busybox', 'sh', '-c', nullAndZero, 'PATH=/usr/bin:/bin'],
    ]);
    const child = spawn(findHelper(), [], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    (child.stdio[3] as NodeJS.WritableStream).end(plan);
    assert.equal(await withTimeout('hako-init to finish', exited), 0, err);
    assert.match(out, /^null-ok$/m);
    assert.doesNotMatch(out, /zero-ok/);
    assert.match(err, /\/dev\/zero: Operation not permitted/);
    cg.destroy();
  });

  test('attaching to something that is not a cgroup is one clear error', () => {
    assert.throws(
      () => attachDeviceFilter(tmp, compileDeviceFilter([denyAll])),
      (e: unknown) =>
        e instanceof HakoError && !e.message.includes('\n') && e.message.startsWith(`cgroup devices: attaching the device filter to ${tmp}: BPF_PROG_QUERY`),
    );
  });
});
