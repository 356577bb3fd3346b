// Plan compilation: config.json -> the operations hako-init runs. No root, no kernel: pure policy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, type PlanContext } from '../../../src/runtime/plan/compile.js';
import { compileExecPlan } from '../../../src/runtime/plan/exec.js';
import { encodePlan, formatPlan } from '../../../src/native/encode.js';
import type { Op } from '../../../src/native/ops.js';
import { defaultSpec } from '../../../src/oci/default.js';
import type { Spec } from '../../../src/oci/types.js';

const ctx: PlanContext = { rootfs: '/b/rootfs', bundle: '/b', fifo: '/run/hako/x/exec.fifo', forkMode: 'exit' };

function plan(edit?: (s: Spec) => void, c: Partial<PlanContext> = {}): Op[] {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = ['sh'];
  edit?.(spec);
  return compilePlan(spec, { ...ctx, ...c });
}
const names = (ops: Op[]) => ops.map((o) => o[0]);
const find = (ops: Op[], name: string) => ops.filter((o) => o[0] === name);
const indexOf = (ops: Op[], pred: (o: Op) => boolean) => ops.findIndex(pred);

describe('plan order', () => {
  it('follows the order the kernel and the spec need', () => {
    const withHook = (s: Spec) => {
      s.hooks = { createRuntime: [{ path: '/bin/h' }] };
    };
    const ops = names(plan(withHook));
    const order = [
      'open_fifo',
      'unshare',
      'fork',
      'mount',
      'sync',
      'pivot_root',
      'mask',
      'readonly',
      'sethostname',
      'rlimit',
      'umask',
      'caps_bounding',
      'chdir',
      'user',
      'caps',
      'no_new_privs',
      'resolve',
      'close_fds',
      'ready',
      'wait_fifo',
      'exec',
    ];
    const firsts = order.map((n) => ops.indexOf(n));
    assert.ok(
      firsts.every((i) => i >= 0),
      `missing: ${order.filter((_, i) => firsts[i] < 0)}`,
    );
    assert.deepEqual(
      [...firsts].sort((a, b) => a - b),
      firsts,
      formatPlan(plan(withHook)),
    );
    assert.equal(ops.at(-1), 'exec');
    // The cwd is entered as root first (runc), and again as the user only if that failed.
    const all = plan(withHook);
    const chdirs = all.map((o, i) => [o, i] as const).filter(([o]) => o[0] === 'chdir');
    assert.deepEqual(
      chdirs.map(([o]) => o.slice(2)),
      [['early'], []],
    );
    assert.ok(chdirs[0][1] < ops.indexOf('user') && chdirs[1][1] > ops.indexOf('no_new_privs'));
  });

  it('unshares the user namespace alone, waits for the maps, becomes root, then the rest', () => {
    const ops = plan((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    });
    const i = indexOf(ops, (o) => o[0] === 'unshare');
    assert.deepEqual(ops[i], ['unshare', String(0x10000000)]);
    assert.deepEqual(ops[i + 1], ['sync', 'userns']);
    assert.deepEqual(ops[i + 2], ['user', '0', '0', '-']);
    assert.equal(ops[i + 3][0], 'unshare');
    assert.equal(Number(ops[i + 3][1]) & 0x10000000, 0);
  });

  it('joins namespaces by path before creating new ones, the user namespace first', () => {
    const ops = plan((s) => {
      s.linux!.namespaces = [{ type: 'mount' }, { type: 'network', path: '/proc/42/ns/net' }, { type: 'user', path: '/proc/42/ns/user' }];
      delete s.hostname;
    });
    assert.deepEqual(
      ops.slice(1, 4).map((o) => o.slice(0, 2)),
      [
        ['setns', '/proc/42/ns/user'],
        ['setns', '/proc/42/ns/net'],
        ['unshare', '0x20000'],
      ],
    );
  });

  it('writes time offsets after unsharing the time namespace and before fork', () => {
    const ops = plan((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 10, nanosecs: 5 } };
    });
    const w = indexOf(ops, (o) => o[0] === 'write' && o[1] === '/proc/self/timens_offsets');
    assert.deepEqual(ops[w], ['write', '/proc/self/timens_offsets', 'monotonic 10 5']);
    assert.ok(w < indexOf(ops, (o) => o[0] === 'fork'));
  });

  it("without a mount namespace: leaves the host root's propagation alone and only chroots (never pivots the host)", () => {
    const ops = plan((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
    });
    assert.ok(!ops.some((o) => o[0] === 'pivot_root'));
    assert.ok(!ops.some((o) => o[0] === 'mount' && o[1] === '' && o[3] === '/'), 'no propagation change on /');
    assert.deepEqual(ops.find((o) => o[0] === 'chroot')!.slice(2), ['in-place']);
  });

  it('rootfsPropagation shared: rslave while building, shared on / after pivot_root', () => {
    const ops = plan((s) => {
      s.linux!.rootfsPropagation = 'shared';
    });
    const pivot = indexOf(ops, (o) => o[0] === 'pivot_root');
    const onRoot = ops.map((o, i) => [o, i] as const).filter(([o]) => o[0] === 'mount' && o[1] === '' && o[3] === '/');
    assert.deepEqual(
      onRoot.map(([o]) => Number(o[5])),
      [(1 << 19) | (1 << 14), 1 << 20],
    );
    assert.ok(onRoot[0][1] < pivot && onRoot[1][1] > pivot);
  });

  it('sets the hostname in a uts namespace joined by path; refuses one without any uts namespace', () => {
    const ops = plan((s) => {
      s.hostname = 'joined';
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'uts' ? { ...n, path: '/proc/1/ns/uts' } : n));
    });
    assert.ok(ops.some((o) => o[0] === 'sethostname' && o[1] === 'joined'));
    assert.throws(
      () =>
        plan((s) => {
          s.hostname = 'x';
          s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts');
        }),
      /uts namespace/,
    );
  });
});

describe('mounts', () => {
  it('resolves every config mount inside the rootfs, creating directories', () => {
    const ops = find(plan(), 'mount').filter((o) => o[1] === '/b/rootfs');
    const proc = ops.find((o) => o[3] === '/proc')!;
    assert.deepEqual(proc, ['mount', '/b/rootfs', 'proc', '/proc', 'proc', '0', '', 'dir']);
    const shm = ops.find((o) => o[3] === '/dev/shm')!;
    assert.equal(Number(shm[5]), 2 | 4 | 8, 'nosuid,nodev,noexec');
    assert.equal(shm[6], 'mode=1777,size=65536k');
  });

  it('does bind mounts as bind then remount with the flags, then propagation', () => {
    const ops = find(
      plan((s) => {
        s.mounts!.push({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'ro', 'rprivate'] });
      }),
      'mount',
    ).filter((o) => o[3] === '/data');
    assert.deepEqual(ops, [
      ['mount', '/b/rootfs', '/tmp', '/data', '', String(4096 | 16384), '', 'dir'],
      ['mount', '/b/rootfs', '', '/data', '', String(4096 | 32 | 1), '', 'none'],
      ['mount', '/b/rootfs', '', '/data', '', String((1 << 18) | 16384), '', 'none'],
    ]);
  });

  it('resolves relative bind sources against the bundle and reports a missing source', () => {
    assert.throws(
      () =>
        plan((s) => {
          s.mounts!.push({ destination: '/x', type: 'bind', source: 'nothere', options: ['bind'] });
        }),
      /mounts\[7\]\.source: "\/b\/nothere" does not exist/,
    );
  });

  it('makes the rootfs a private bind mount of itself before pivot_root', () => {
    const ops = plan();
    const i = indexOf(ops, (o) => o[0] === 'mount');
    assert.deepEqual(ops.slice(i, i + 3), [
      ['mount', '', '', '/', '', String((1 << 19) | 16384), '', 'none'],
      ['mount', '', '/b/rootfs', '/b/rootfs', '', String(4096 | 16384), '', 'none'],
      ['mount', '', '', '/b/rootfs', '', String(1 << 18), '', 'none'],
    ]);
  });

  it('creates default devices with mknod, or binds them in a user namespace', () => {
    const plain = find(plan(), 'mknod');
    assert.deepEqual(
      plain.map((o) => o[2]),
      ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'],
    );
    assert.deepEqual(plain[0], ['mknod', '/b/rootfs', '/dev/null', String(0o020666), '1', '3', '0', '0']);
    const userns = plan((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    assert.equal(find(userns, 'mknod').length, 0);
    assert.ok(find(userns, 'mount').some((o) => o[2] === '/dev/null' && o[3] === '/dev/null' && o[7] === 'file'));
  });

  it('binds /sys instead of mounting sysfs in a user namespace without its own network namespace', () => {
    const ops = plan((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const sys = find(ops, 'mount').filter((o) => o[3] === '/sys');
    assert.equal(sys[0][2], '/sys');
    assert.equal(Number(sys[0][5]) & 4096, 4096);
  });
});

describe('process', () => {
  it('sets capabilities as masks, ambient limited to permitted and inheritable', () => {
    const ops = plan((s) => {
      s.process!.capabilities = {
        bounding: ['CAP_KILL', 'CAP_CHOWN'],
        effective: ['CAP_KILL'],
        permitted: ['CAP_KILL'],
        inheritable: [],
        ambient: ['CAP_KILL'],
      };
    });
    assert.deepEqual(find(ops, 'caps_bounding')[0], ['caps_bounding', '0x21']);
    assert.deepEqual(find(ops, 'caps')[0], ['caps', '0x20', '0x20', '0x0', '0x0']);
  });

  it('passes args and env to exec and resolves the program with the container PATH', () => {
    const ops = plan((s) => {
      s.process!.args = ['echo', 'a b'];
      s.process!.env = ['PATH=/bin', 'X=1'];
    });
    assert.deepEqual(find(ops, 'resolve')[0], ['resolve', 'echo', '/bin']);
    assert.deepEqual(ops.at(-1), ['exec', '2', 'echo', 'a b', 'PATH=/bin', 'X=1']);
  });

  it("asks hako-init for HOME from /etc/passwd (as root, for the process's uid) only when env has none", () => {
    const ops = plan((s) => {
      s.process!.env = ['PATH=/bin'];
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    assert.deepEqual(find(ops, 'home'), [['home', '1000']]);
    assert.ok(names(ops).indexOf('home') < names(ops).indexOf('user'), 'read before dropping to the user');
    assert.deepEqual(
      find(
        plan((s) => {
          s.process!.env = ['PATH=/bin', 'HOME=/data'];
        }),
        'home',
      ),
      [],
    );
  });

  it('creates a missing cwd right after pivot_root, before anything is read-only (as runc does)', () => {
    const ops = plan((s) => {
      s.process!.cwd = '/srv/app';
      s.root!.readonly = true;
    });
    const i = names(ops).indexOf('mkdirs');
    assert.deepEqual(ops[i], ['mkdirs', '/srv/app']);
    assert.equal(ops[i - 1][0], 'pivot_root');
    assert.ok(i < indexOf(ops, (o) => o[0] === 'readonly'));
    assert.deepEqual(
      find(
        plan((s) => {
          s.process!.cwd = '/';
        }),
        'mkdirs',
      ),
      [],
    );
  });

  it('maps rlimits by name, infinity included', () => {
    const ops = plan((s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 }];
    });
    assert.deepEqual(find(ops, 'rlimit')[0], ['rlimit', '4', '0', '18446744073709551615']);
  });

  it("sets supplementary groups exactly (clearing the runtime's own)", () => {
    assert.deepEqual(find(plan(), 'user')[0], ['user', '0', '0', '']);
    assert.deepEqual(
      find(
        plan((s) => {
          s.process!.user.additionalGids = [5, 6];
        }),
        'user',
      )[0],
      ['user', '0', '0', '5,6'],
    );
  });

  it('loads seccomp before ready with no_new_privs (startContainer hooks run under it, as runc), before dropping privileges without it', () => {
    const late = names(plan(undefined, { seccompProfile: 'default allow 0' }));
    assert.equal(late.indexOf('seccomp'), late.indexOf('ready') - 1);
    assert.ok(late.indexOf('seccomp') > late.indexOf('close_fds'));
    const early = names(
      plan(
        (s) => {
          s.process!.noNewPrivileges = false;
        },
        { seccompProfile: 'default allow 0' },
      ),
    );
    assert.ok(early.indexOf('seccomp') < early.indexOf('user'));
  });

  it('runs createContainer hooks before pivot_root and startContainer hooks after the barrier', () => {
    const ops = plan((s) => {
      s.hooks = { createContainer: [{ path: '/bin/cc', args: ['cc', '1'], timeout: 5 }], startContainer: [{ path: '/bin/sc', env: ['A=b'] }] };
    });
    const cc = indexOf(ops, (o) => o[0] === 'hook' && o[2] === '/bin/cc');
    const sc = indexOf(ops, (o) => o[0] === 'hook' && o[2] === '/bin/sc');
    assert.deepEqual(ops[cc], ['hook', '5', '/bin/cc', '2', 'cc', '1']);
    assert.deepEqual(ops[sc], ['hook', '0', '/bin/sc', '1', '/bin/sc', 'A=b']);
    assert.ok(indexOf(ops, (o) => o[0] === 'sync' && o[1] === 'createRuntime') < cc);
    assert.ok(cc < indexOf(ops, (o) => o[0] === 'pivot_root'));
    assert.ok(indexOf(ops, (o) => o[0] === 'wait_fifo') < sc);
  });

  it('stops at sync createRuntime only when some hook needs the runtime or the state', () => {
    const syncs = (edit?: (s: Spec) => void) => plan(edit).filter((o) => o[0] === 'sync' && o[1] === 'createRuntime').length;
    assert.equal(syncs(), 0);
    assert.equal(
      syncs((s) => {
        s.hooks = { poststart: [{ path: '/bin/p' }], poststop: [{ path: '/bin/p' }] };
      }),
      0,
    );
    for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer'] as const) {
      assert.equal(
        syncs((s) => {
          s.hooks = { [kind]: [{ path: '/bin/h' }] };
        }),
        1,
        kind,
      );
    }
  });

  it('a terminal needs a console socket, which is connected before pivot_root', () => {
    assert.throws(
      () =>
        plan((s) => {
          s.process!.terminal = true;
        }),
      /process\.terminal/,
    );
    const ops = plan(
      (s) => {
        s.process!.terminal = true;
        s.process!.consoleSize = { height: 24, width: 80 };
      },
      { console: '/tmp/sock' },
    );
    assert.ok(indexOf(ops, (o) => o[0] === 'console_socket') < indexOf(ops, (o) => o[0] === 'pivot_root'));
    assert.deepEqual(find(ops, 'console')[0], ['console', '24', '80']);
    const relay = plan(
      (s) => {
        s.process!.terminal = true;
      },
      { console: '@relay', forkMode: 'wait' },
    );
    assert.deepEqual(find(relay, 'fork')[0], ['fork', 'wait', 'relay']);
    // The monitor copies the caller's ttys through pipes only for a process without a terminal.
    assert.equal(find(ops, 'fork')[0][2], 'socket');
    assert.equal(find(plan(undefined, { forkMode: 'wait' }), 'fork')[0][2], 'none');
  });
});

describe('stdio that is a host device', () => {
  const REOPEN = ['reopen_stdio', '/dev/null', '1', '3', '/dev/zero', '1', '5', '/dev/full', '1', '7', '/dev/random', '1', '8', '/dev/urandom', '1', '9'];

  it("swaps the host's memory devices for the container's own, once / is the container's and before dropping root", () => {
    const ops = plan();
    const i = indexOf(ops, (o) => o[0] === 'reopen_stdio');
    assert.deepEqual(ops[i], REOPEN, 'not /dev/tty: that names whatever terminal a process has');
    assert.ok(i > indexOf(ops, (o) => o[0] === 'pivot_root'));
    assert.ok(i < indexOf(ops, (o) => o[0] === 'user') && i < indexOf(ops, (o) => o[0] === 'caps_bounding'));
  });

  it("a terminal replaces all three with the container's own pty: nothing to swap", () => {
    const ops = plan(
      (s) => {
        s.process!.terminal = true;
      },
      { console: '/tmp/console.sock' },
    );
    assert.equal(
      indexOf(ops, (o) => o[0] === 'reopen_stdio'),
      -1,
    );
    assert.ok(indexOf(ops, (o) => o[0] === 'console') > 0);
  });

  it("an exec'd process swaps them too, right after the fork that puts it in the container", () => {
    const spec = defaultSpec();
    const process = { ...spec.process!, terminal: false, args: ['true'] };
    const ops = compileExecPlan(spec, process, { pid: 42, forkMode: 'wait' });
    const i = indexOf(ops, (o) => o[0] === 'reopen_stdio');
    assert.deepEqual(ops[i], REOPEN);
    assert.equal(ops[i - 1][0], 'fork');
    const tty = compileExecPlan(spec, { ...process, terminal: true }, { pid: 42, forkMode: 'wait', console: '@relay' });
    assert.equal(
      indexOf(tty, (o) => o[0] === 'reopen_stdio'),
      -1,
    );
  });
});

describe('wire format', () => {
  it('encodes argc and length-prefixed strings, binary-safe', () => {
    const buf = encodePlan([
      ['sync', 'x'],
      ['seccomp', Buffer.from([0, 1, 2])],
    ]);
    assert.deepEqual(
      [...buf],
      [2, 0, 0, 0, 4, 0, 0, 0, ...Buffer.from('sync'), 1, 0, 0, 0, 120, 2, 0, 0, 0, 7, 0, 0, 0, ...Buffer.from('seccomp'), 3, 0, 0, 0, 0, 1, 2],
    );
  });
});

describe('the rootfs mount annotation (the rootless engine overlay)', () => {
  const overlay = { source: 'overlay', fstype: 'overlay', flags: 0, data: 'lowerdir=/l,upperdir=/u,workdir=/w,userxattr' };
  const rootless = (s: Spec) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.annotations = { 'org.hako.rootfs.mount': JSON.stringify(overlay) };
  };

  it('mounts the overlay on the root in the container, after the user namespace, before the root is bound', () => {
    const ops = plan(rootless);
    const at = indexOf(ops, (o) => o[0] === 'mount' && o[4] === 'overlay');
    assert.ok(at > 0, 'an overlay mount op');
    assert.deepEqual(ops[at], ['mount', '', 'overlay', '/b/rootfs', 'overlay', '0', overlay.data, 'none']);
    assert.ok(indexOf(ops, (o) => o[0] === 'sync' && o[1] === 'userns') < at);
    assert.ok(at < indexOf(ops, (o) => o[0] === 'mount' && o[2] === '/b/rootfs' && o[3] === '/b/rootfs'));
  });

  it('is refused without a user namespace of its own, or when it is not the JSON it should be', () => {
    assert.throws(
      () =>
        plan((s) => {
          s.annotations = { 'org.hako.rootfs.mount': JSON.stringify(overlay) };
        }),
      /annotations\["org.hako.rootfs.mount"\]: needs a user namespace and a new mount namespace/,
    );
    assert.throws(
      () =>
        plan((s) => {
          rootless(s);
          s.annotations!['org.hako.rootfs.mount'] = '{"source": 1}';
        }),
      /must be JSON \{source, fstype, flags, data\}/,
    );
  });
});

describe('the rootfs mount namespace annotation (the rootless engine on fuse-overlayfs)', () => {
  const shared = (s: Spec) => {
    s.linux!.namespaces!.push({ type: 'user', path: '/proc/42/ns/user' });
    s.annotations = { 'org.hako.rootfs.mountns': '/proc/42/ns/mnt' };
  };

  it('enters the mount namespace after the joined user namespace, before making its own', () => {
    const ops = plan(shared);
    const user = indexOf(ops, (o) => o[0] === 'setns' && o[1] === '/proc/42/ns/user');
    const mnt = indexOf(ops, (o) => o[0] === 'setns' && o[1] === '/proc/42/ns/mnt');
    const own = indexOf(ops, (o) => o[0] === 'unshare' && (Number(o[1]) & 0x20000) !== 0);
    assert.ok(user >= 0 && user < mnt && mnt < own, JSON.stringify(ops.slice(0, 12)));
    assert.equal(ops[mnt]![2], String(0x20000));
  });

  it('is refused without a joined user namespace and a new mount namespace, or with a relative path', () => {
    assert.throws(
      () =>
        plan((s) => {
          s.annotations = { 'org.hako.rootfs.mountns': '/proc/42/ns/mnt' };
        }),
      /annotations\["org.hako.rootfs.mountns"\]: needs a user namespace joined by path and a new mount namespace/,
    );
    assert.throws(
      () =>
        plan((s) => {
          shared(s);
          s.annotations!['org.hako.rootfs.mountns'] = 'proc/42/ns/mnt';
        }),
      /must be an absolute path/,
    );
  });
});
