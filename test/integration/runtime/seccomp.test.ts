// linux.seccomp through the whole runtime: compiled in TypeScript, loaded by hako-init, last.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';
import { defaultSeccompProfile } from '../../../src/engine/docker-defaults.js';
import type { Seccomp } from '../../../src/oci/types.js';

const h = new Harness();
after(() => h.cleanup());

const allowAllBut = (syscalls: Seccomp['syscalls']): Seccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });

describe('seccomp in containers', () => {
  it('a profile denying mkdir with EPERM: mkdir fails, everything else works', () => {
    const r = h.run(['sh', '-c', 'mkdir /tmp/x; echo "mkdir=$?"; echo still running; ls / >/dev/null && echo ls-ok'], (s) => {
      s.linux!.seccomp = allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]);
      s.root!.readonly = false;
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Operation not permitted/);
    assert.deepEqual(r.stdout.trim().split('\n'), ['mkdir=1', 'still running', 'ls-ok']);
  });

  it('filters on arguments: personality(0xffffffff) is refused, other calls pass', () => {
    // busybox `setarch` calls personality(); `uname -m` with linux32 changes it.
    const r = h.run(['sh', '-c', 'linux32 uname -m; echo "rc=$?"'], (s) => {
      s.linux!.seccomp = allowAllBut([{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }]);
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rc=1/, 'PER_LINUX32 (8) is refused');
    const ok = h.run(['sh', '-c', 'linux32 uname -m'], (s) => {
      s.linux!.seccomp = allowAllBut([{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x1234, op: 'SCMP_CMP_EQ' }] }]);
    });
    assert.equal(ok.stdout.trim(), 'i686', 'another argument passes');
  });

  it('a killed syscall kills the process', () => {
    // mkdir is the container's process itself (a shell would fork it and carry on).
    const r = h.run(['mkdir', '/tmp/y'], (s) => {
      s.linux!.seccomp = allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }]);
    });
    assert.equal(r.status, 128 + 31, 'killed by SIGSYS');
  });

  it("docker's default profile: a shell works, unshare and mount are refused", () => {
    const r = h.run(['sh', '-c', 'echo hi; unshare -U true; echo "unshare=$?"; mount -t tmpfs none /tmp; echo "mount=$?"'], (s) => {
      s.linux!.seccomp = defaultSeccompProfile();
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hi\nunshare=1\nmount=\d+$/m);
    assert.notEqual(r.stdout.match(/mount=(\d+)/)![1], '0');
  });

  it('loaded before dropping privileges (noNewPrivileges false), a profile that predates close_range still starts the container', () => {
    // Docker's default profile without the syscalls added since Linux 5.1 (close_range, clone3,
    // openat2, faccessat2, ...): its default action (ERRNO) answers them. Everything hako-init does
    // after loading it early (credentials, capabilities, a startContainer hook, close_fds, which
    // falls back to /proc/self/fd as runc and crun do) must cope.
    const recent = new Set([
      'close_range',
      'clone3',
      'openat2',
      'faccessat2',
      'pidfd_open',
      'pidfd_getfd',
      'pidfd_send_signal',
      'epoll_pwait2',
      'process_madvise',
      'rseq',
      'io_uring_setup',
      'io_uring_enter',
      'io_uring_register',
      'landlock_create_ruleset',
      'landlock_add_rule',
      'landlock_restrict_self',
      'memfd_secret',
      'futex_waitv',
      'mount_setattr',
      'fchmodat2',
      'statx',
    ]);
    const profile = defaultSeccompProfile();
    profile.syscalls = profile.syscalls!.map((rule) => ({ ...rule, names: rule.names.filter((n) => !recent.has(n)) })).filter((rule) => rule.names.length);
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    const r = h.run(['sh', '-c', 'echo started; ls /proc/self/fd | wc -l'], (s) => {
      s.linux!.seccomp = profile;
      s.process!.noNewPrivileges = false;
      s.process!.user = { uid: 1000, gid: 1000 };
      s.hooks = { startContainer: [{ path: '/bin/true' }] };
    });
    assert.equal(r.status, 0, r.stderr);
    // stdin, stdout, stderr, and the directory ls reads: nothing of the runtime leaked in.
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim()),
      ['started', '4'],
    );
  });

  it('bad profiles fail with one line naming the field and leave nothing', () => {
    const cases: [Seccomp, RegExp][] = [
      [{ defaultAction: 'SCMP_ACT_BOGUS' }, /linux\.seccomp\.defaultAction/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_PDP11'] }, /linux\.seccomp\.architectures\[0\]/],
      [
        allowAllBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] }]),
        /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index/,
      ],
      [
        allowAllBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }]),
        /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op/,
      ],
    ];
    for (const [profile, pattern] of cases) {
      const id = h.id();
      const r = h.hako([
        'run',
        '--bundle',
        h.bundle(['true'], (s) => {
          s.linux!.seccomp = profile;
        }),
        id,
      ]);
      assert.notEqual(r.status, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(h.hako(['state', id]).status, 1, 'no state left');
    }
  });
});

describe('seccomp notify (listenerPath)', () => {
  // Without no_new_privs the filter is loaded early, while still root: the state must be there first.
  for (const noNewPrivileges of [true, false])
    it(`the supervisor gets the listener fd with the container process state, and its answers are the results (noNewPrivileges ${noNewPrivileges})`, async () => {
      const { spawn } = await import('node:child_process');
      const fs = await import('node:fs');
      const sock = `${h.root}/notify-${noNewPrivileges}.sock`;
      const stateOut = `${h.root}/notify-${noNewPrivileges}.state`;
      // A supervisor like a real one: accept, take the fd, answer every notified syscall with EROFS (30).
      const supervisor = spawn(
        'python3',
        [
          '-c',
          `
import socket, sys, struct, fcntl
RECV, SEND = 0xC0502100, 0xC0182101
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 1)
open(sys.argv[2], "wb").write(msg)
while True:
    buf = bytearray(80)
    try:
        fcntl.ioctl(fds[0], RECV, buf, True)
    except OSError:
        break
    nid = struct.unpack_from("<Q", buf, 0)[0]
    try:
        fcntl.ioctl(fds[0], SEND, bytearray(struct.pack("<QqiI", nid, 0, -30, 0)), True)
    except OSError:
        pass
`,
          sock,
          stateOut,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise((r) => supervisor.stdout.once('data', r));
      const id = h.id();
      const r = h.hako([
        'run',
        '--bundle',
        h.bundle(['sh', '-c', 'mkdir /tmp/x; echo "rc=$?"; echo other syscalls work'], (s) => {
          s.linux!.seccomp = {
            defaultAction: 'SCMP_ACT_ALLOW',
            listenerPath: sock,
            listenerMetadata: 'meta-1',
            syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
          };
          s.root!.readonly = false;
          s.process!.noNewPrivileges = noNewPrivileges;
        }),
        id,
      ]);
      supervisor.kill();
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /Read-only file system/, "the supervisor's answer (EROFS) is mkdir's result");
      assert.match(r.stdout, /rc=1\nother syscalls work/);
      const state = JSON.parse(fs.readFileSync(stateOut, 'utf8'));
      assert.deepEqual(state.fds, ['seccompFd']);
      assert.equal(state.metadata, 'meta-1');
      assert.equal(state.state.id, id);
      assert.ok(state.pid > 0);
    });
});
