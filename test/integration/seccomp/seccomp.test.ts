// Loads real seccomp filters through native/seccomp.c (via the native/test/seccomp-test harness) and
// checks what busybox and node can and cannot do under them. Needs cc and libseccomp-dev; root (or
// the --nnp harness option) to load filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BLOB_HEADER_SIZE, cachedSeccompFilter, compileSeccomp } from '../../../src/runtime/seccomp/index.js';
import { defaultSeccompProfile } from '../../../src/engine/docker-defaults.js';
import type { Seccomp } from '../../../src/oci/types.js';

// build/test/integration/seccomp -> repository root
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const BUSYBOX = '/bin/busybox';
let dir = '';
let harness = '';
let counter = 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-seccomp-'));
  harness = path.join(dir, 'seccomp-test');
  execFileSync('cc', [
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-D_GNU_SOURCE',
    '-std=gnu11',
    path.join(ROOT, 'native/test/seccomp-test.c'),
    path.join(ROOT, 'native/seccomp.c'),
    path.join(ROOT, 'native/io.c'),
    '-lseccomp',
    '-o',
    harness,
  ]);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `cmd` under the PROFILE text or compiled blob (or an OCI profile, compiled first). */
function run(profile: string | Buffer | Seccomp, cmd: string[], opts: string[] = []): SpawnSyncReturns<string> {
  const file = path.join(dir, `profile-${++counter}`);
  fs.writeFileSync(file, typeof profile === 'string' || Buffer.isBuffer(profile) ? profile : compileSeccomp(profile));
  return spawnSync(harness, [...opts, file, '--', ...cmd], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
}

/** The compiled blob for PROFILE text, made by hako_seccomp_export (the harness's --export). */
function exportBlob(text: string): Buffer {
  const input = path.join(dir, `export-${++counter}`);
  fs.writeFileSync(input, text);
  execFileSync(harness, ['--export', `${input}.bpf`, input]);
  return fs.readFileSync(`${input}.bpf`);
}

function scratch(): string {
  return fs.mkdtempSync(path.join(dir, 'scratch-'));
}

const denyMkdir = (action: string, errnoRet?: number): Seccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['mkdir', 'mkdirat'], action, ...(errnoRet !== undefined ? { errnoRet } : {}) }],
});

test('a profile denying mkdir with EPERM: mkdir fails, echo works', () => {
  const target = path.join(scratch(), 'd');
  const r = run(denyMkdir('SCMP_ACT_ERRNO'), [BUSYBOX, 'mkdir', target]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /Operation not permitted/);
  assert.equal(fs.existsSync(target), false);
  const echo = run(denyMkdir('SCMP_ACT_ERRNO'), [BUSYBOX, 'echo', 'hello']);
  assert.equal(echo.status, 0, echo.stderr);
  assert.equal(echo.stdout, 'hello\n');
});

test('errnoRet is returned', () => {
  const r = run(denyMkdir('SCMP_ACT_ERRNO', 30), [BUSYBOX, 'mkdir', path.join(scratch(), 'd')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Read-only file system/);
});

test('without the filter (allow-all profile) mkdir works: the harness itself is not the cause', () => {
  const target = path.join(scratch(), 'd');
  const r = run({ defaultAction: 'SCMP_ACT_ALLOW' }, [BUSYBOX, 'mkdir', target]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.statSync(target).isDirectory(), true);
});

test('SCMP_ACT_KILL_PROCESS and SCMP_ACT_KILL end the process with SIGSYS', () => {
  for (const action of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_TRAP']) {
    const r = run(denyMkdir(action), [BUSYBOX, 'mkdir', path.join(scratch(), 'd')]);
    assert.equal(r.signal, 'SIGSYS', `${action}: status ${r.status} ${r.stderr}`);
  }
});

test('SCMP_ACT_LOG lets the syscall through', () => {
  const target = path.join(scratch(), 'd');
  const r = run(denyMkdir('SCMP_ACT_LOG'), [BUSYBOX, 'mkdir', target]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(target));
});

test('argument filtering: personality(PER_LINUX32) refused, personality(PER_LINUX) allowed', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }],
  };
  const r32 = run(profile, [BUSYBOX, 'linux32', BUSYBOX, 'uname', '-m']);
  assert.equal(r32.status, 1);
  assert.match(r32.stderr, /personality\(0x8\): Invalid argument/);
  const r64 = run(profile, [BUSYBOX, 'linux64', BUSYBOX, 'uname', '-m']);
  assert.equal(r64.status, 0, r64.stderr);
  assert.equal(r64.stdout.trim(), os.machine());
});

test('argument filtering: socket(AF_INET) refused while socket(AF_UNIX) works', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }],
  };
  const sock = path.join(scratch(), 's.sock');
  const script = `
    const net = require('node:net');
    const which = process.argv[1];
    const srv = net.createServer();
    srv.on('error', (e) => { console.log(which + ' ' + e.code); process.exit(0); });
    srv.listen(which === 'unix' ? ${JSON.stringify(sock)} : { host: '127.0.0.1', port: 0 }, () => { console.log(which + ' ok'); srv.close(); });`;
  const unix = run(profile, [process.execPath, '-e', script, 'unix']);
  assert.equal(unix.stdout.trim(), 'unix ok', unix.stderr);
  const inet = run(profile, [process.execPath, '-e', script, 'inet']);
  assert.equal(inet.stdout.trim(), 'inet EACCES', inet.stderr);
});

test('MASKED_EQ compares (arg & value) with valueTwo', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 22,
        args: [{ index: 0, value: 0xff0f, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ],
  };
  assert.match(run(profile, [BUSYBOX, 'linux32', BUSYBOX, 'true']).stderr, /personality\(0x8\): Invalid argument/);
  assert.equal(run(profile, [BUSYBOX, 'linux64', BUSYBOX, 'true']).status, 0);
});

test('conditions on one argument index become separate rules (like runc): any one matching is enough', () => {
  // as one AND-ed rule "arg0 == 8 && arg0 == 0" would never match; split, both values are refused
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 22,
        args: [
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  };
  assert.match(run(profile, [BUSYBOX, 'linux32', BUSYBOX, 'true']).stderr, /personality\(0x8\): Invalid argument/);
  assert.match(run(profile, [BUSYBOX, 'linux64', BUSYBOX, 'true']).stderr, /personality\(0x0\): Invalid argument/);
  // conditions on different indexes are AND-ed: arg1 is never 12345, so nothing is refused
  profile.syscalls![0]!.args = [
    { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
    { index: 1, value: 12345, op: 'SCMP_CMP_EQ' },
  ];
  assert.equal(run(profile, [BUSYBOX, 'linux32', BUSYBOX, 'true']).status, 0);
});

test('the docker default profile: busybox sh works, unshare and mount are refused', () => {
  const r = run(defaultSeccompProfile(), [
    BUSYBOX,
    'sh',
    '-c',
    `cd ${scratch()} && mkdir a && echo x > a/f && cat a/f && (echo sub) && ls a; ` +
      `${BUSYBOX} unshare -m ${BUSYBOX} true; echo unshare=$?; ${BUSYBOX} mount -t tmpfs none a; echo mount=$?`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^x\nsub\nf\nunshare=1\nmount=[1-9]\d*\n$/);
  assert.match(r.stderr, /unshare\(0x20000\): Operation not permitted/);
  // and with no_new_privs, as a non-CAP_SYS_ADMIN container would load it
  const nnp = run(defaultSeccompProfile(), [BUSYBOX, 'echo', 'ok'], ['--nnp']);
  assert.equal(nnp.stdout, 'ok\n', nnp.stderr);
});

test('the docker default profile with CAP_SYS_ADMIN allows unshare', () => {
  const r = run(defaultSeccompProfile(['CAP_SYS_ADMIN']), [BUSYBOX, 'unshare', '-m', BUSYBOX, 'echo', 'inside']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'inside\n');
});

test('syscall names unknown to libseccomp are skipped, known ones still apply', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['no_such_syscall_hako', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
  };
  const r = run(profile, [BUSYBOX, 'mkdir', path.join(scratch(), 'd')]);
  assert.match(r.stderr, /Operation not permitted/);
});

test('SCMP_ACT_NOTIFY: the listener reaches listenerPath with the state, and its answer is the result', () => {
  const sock = path.join(dir, `listener-${counter}.sock`);
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: sock,
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  };
  const target = path.join(scratch(), 'd');
  const r = run(profile, [BUSYBOX, 'mkdir', target], ['--notify-errno', '30', '--socket', sock]);
  assert.match(r.stderr, /state: \{"ociVersion":"1\.0\.2","fds":\["seccompFd"\]\}/);
  assert.match(r.stderr, /mkdir: can't create directory .*: Read-only file system/);
  assert.equal(r.status, 1);
  assert.equal(fs.existsSync(target), false);
});

test('malformed PROFILE text gives a one-line error naming the syscall, and nothing runs', () => {
  const cases: Array<[string, RegExp]> = [
    ['default allow 0\nrule errno 1 mkdir 6 eq 1 0\n', /^seccomp: line 2: syscall mkdir: bad argument condition "6 eq 1 0"\n$/],
    ['default allow 0\nrule deny 1 mkdir\n', /^seccomp: line 2: syscall mkdir: bad action "deny 1"\n$/],
    ['default allow 0\nrule errno 1 mkdir 0 eq\n', /^seccomp: line 2: rule needs ACTION ERRNO SYSCALL/],
    ['rule errno 1 mkdir\n', /^seccomp: line 1: "rule" before "default"\n$/],
    ['default notify 0\n', /^seccomp: line 1: bad default action "notify"\n$/],
    ['default allow 0\narch vax\n', /^seccomp: arch vax: not supported by this libseccomp\n$/],
    ['default allow 0\nflag fast\n', /^seccomp: unknown flag "fast"\n$/],
    ['default allow 0\nfrobnicate\n', /^seccomp: line 2: unknown directive "frobnicate"\n$/],
    ['# nothing\n', /^seccomp: profile has no "default" line\n$/],
  ];
  for (const [text, message] of cases) {
    const r = run(text, [BUSYBOX, 'echo', 'ran']);
    assert.equal(r.status, 125, text);
    assert.equal(r.stdout, '', text);
    assert.match(r.stderr, message);
  }
});

test('a compiled blob loads the same filter: errno, kill, notify', () => {
  const deny = exportBlob(compileSeccomp(denyMkdir('SCMP_ACT_ERRNO', 30)));
  const r = run(deny, [BUSYBOX, 'mkdir', path.join(scratch(), 'd')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Read-only file system/);
  assert.equal(run(deny, [BUSYBOX, 'echo', 'ok']).stdout, 'ok\n');
  const kill = exportBlob(compileSeccomp(denyMkdir('SCMP_ACT_KILL_PROCESS')));
  assert.equal(run(kill, [BUSYBOX, 'mkdir', path.join(scratch(), 'd')]).signal, 'SIGSYS');
  const sock = path.join(dir, `blob-listener-${counter}.sock`);
  const notify = exportBlob(compileSeccomp({ ...denyMkdir('SCMP_ACT_NOTIFY'), listenerPath: sock }));
  const n = run(notify, [BUSYBOX, 'mkdir', path.join(scratch(), 'd')], ['--notify-errno', '28', '--socket', sock]);
  assert.match(n.stderr, /No space left on device/);
});

test('the docker default profile through the cache: second start uses the stored blob', () => {
  const cache = path.join(dir, 'cache');
  const text = compileSeccomp(defaultSeccompProfile());
  let exports = 0;
  const exporter = (t: string): Buffer => {
    exports++;
    return exportBlob(t);
  };
  const first = cachedSeccompFilter(text, cache, exporter);
  const second = cachedSeccompFilter(text, cache, exporter);
  assert.ok(Buffer.isBuffer(second));
  assert.deepEqual(second, first);
  assert.equal(exports, 1);
  const r = run(second, [BUSYBOX, 'sh', '-c', `echo hi; ${BUSYBOX} unshare -m ${BUSYBOX} true`]);
  assert.equal(r.stdout, 'hi\n');
  assert.match(r.stderr, /unshare\(0x20000\): Operation not permitted/);
});

test('a blob from another kernel release is compiled from its text; a broken or corrupt blob is an error', () => {
  const blob = exportBlob(compileSeccomp(denyMkdir('SCMP_ACT_ERRNO', 30)));
  const textLen = blob.readUInt32LE(12);
  const stale = Buffer.from(blob);
  stale.write('0.0.0-elsewhere\0', 40, 'latin1'); // kernel release field
  stale.fill(0, BLOB_HEADER_SIZE + textLen); // and a program that would kill everything if used
  const r = run(stale, [BUSYBOX, 'mkdir', path.join(scratch(), 'd')]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /Read-only file system/);
  // same kernel and libseccomp: the program itself is loaded (so the broken one is refused by the kernel)
  const broken = Buffer.from(blob).fill(0, BLOB_HEADER_SIZE + textLen);
  const b = run(broken, [BUSYBOX, 'echo', 'ran']);
  assert.equal(b.status, 125);
  assert.match(b.stderr, /^seccomp: loading the compiled filter failed: Invalid argument/);
  const cut = run(blob.subarray(0, blob.length - 3), [BUSYBOX, 'echo', 'ran']);
  assert.equal(cut.status, 125);
  assert.equal(cut.stdout, '');
  assert.match(cut.stderr, /^seccomp: corrupt compiled filter/);
});
