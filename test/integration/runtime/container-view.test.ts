// What the process inside sees: namespaces, PID 1, hostname, users, capabilities, mounts, limits.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';
import { LayerWorker } from '../../../src/storage/layers/index.js';
import { rec } from '../../../src/native/ops.js';

const h = new Harness();
after(() => h.cleanup());

const hostNs = (name: string) => fs.readlinkSync(`/proc/self/ns/${name}`);

describe('the container sees its own world', () => {
  it('is PID 1 and ps shows only its own processes', () => {
    // `; true` keeps sh alive (busybox execs the last command in place).
    const r = h.run(['sh', '-c', 'echo $$; ps -o pid,comm; true']);
    assert.equal(r.status, 0, r.stderr);
    const [pid, header, ...procs] = r.stdout.trim().split('\n');
    assert.equal(pid, '1');
    assert.match(header, /PID/);
    assert.deepEqual(procs.map((l) => l.trim().split(/\s+/)[1]), ['sh', 'ps']);
  });

  it('has new namespaces of every configured type (inode numbers differ from the host)', () => {
    const names = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup', 'time'];
    const r = h.run(['sh', '-c', names.map((n) => `readlink /proc/self/ns/${n === 'time' ? 'time_for_children' : n}`).join(';')],
      (s) => { s.linux!.namespaces!.push({ type: 'time' }); });
    assert.equal(r.status, 0, r.stderr);
    const inside = r.stdout.trim().split('\n');
    names.forEach((n, i) => assert.notEqual(inside[i], hostNs(n === 'time' ? 'time' : n), `${n} namespace is the host's`));
  });

  it('joins another container\'s namespaces by path (a pod)', () => {
    const first = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60'], (s) => { s.hostname = 'pod'; }), first]).status, 0);
    const pid = JSON.parse(h.hako(['state', first]).stdout).pid;
    const r = h.run(['sh', '-c', 'readlink /proc/self/ns/uts; readlink /proc/self/ns/net; hostname'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'uts' || n.type === 'network' ? { type: n.type, path: `/proc/${pid}/ns/${n.type === 'uts' ? 'uts' : 'net'}` } : n));
      delete s.hostname;
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [fs.readlinkSync(`/proc/${pid}/ns/uts`), fs.readlinkSync(`/proc/${pid}/ns/net`), 'pod']);
    assert.equal(h.hako(['delete', '--force', first]).status, 0);
  });

  it('sets hostname and domainname without touching the host', () => {
    const before = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8');
    const r = h.run(['sh', '-c', 'hostname; cat /proc/sys/kernel/domainname; hostname changed-inside; hostname'], (s) => {
      s.hostname = 'boxed';
      s.domainname = 'example.test';
      // Changing the hostname from inside needs CAP_SYS_ADMIN (in the container's user namespace).
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_SYS_ADMIN');
      s.root!.readonly = false;
      s.linux!.readonlyPaths = [];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['boxed', 'example.test', 'changed-inside']);
    assert.equal(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8'), before);
  });

  it('maps the host uid range to root inside a user namespace', () => {
    const r = h.run(['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; readlink /proc/self/ns/user'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0');
    assert.equal(lines[1], '0');
    assert.deepEqual(lines[2].trim().split(/\s+/), ['0', '100000', '65536']);
    assert.deepEqual(lines[3].trim().split(/\s+/), ['0', '200000', '65536']);
    assert.notEqual(lines[4], hostNs('user'));
  });

  it('runs as the configured user with its groups and umask', () => {
    const r = h.run(['sh', '-c', 'id -u; id -g; id -G; umask'], (s) => {
      s.process!.user = { uid: 1000, gid: 1001, additionalGids: [5, 1002], umask: 0o027 };
    });
    assert.equal(r.status, 0, r.stderr);
    const [uid, gid, groups, umask] = r.stdout.trim().split('\n');
    assert.equal(uid, '1000');
    assert.equal(gid, '1001');
    assert.deepEqual(groups.split(' ').sort(), ['1001', '1002', '5']);
    assert.equal(umask, '0027');
  });

  it('has exactly the configured capabilities in all five sets', () => {
    const r = h.run(['grep', '^Cap', '/proc/self/status'], (s) => {
      // Not root: root's execve adds the bounding set back into permitted (the kernel's legacy rule).
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SETPCAP'],
        effective: ['CAP_CHOWN', 'CAP_KILL'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
        inheritable: ['CAP_KILL', 'CAP_NET_RAW'],
        ambient: ['CAP_KILL'],
      };
    });
    assert.equal(r.status, 0, r.stderr);
    const caps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)).map(([k, v]) => [k, BigInt(`0x${v}`)]));
    const bit = (n: number) => 1n << BigInt(n);
    assert.equal(caps.CapBnd, bit(0) | bit(5) | bit(13) | bit(8));
    // For a non-root execve without file capabilities, what survives in permitted and effective is
    // exactly the ambient set: proof that ambient (and inheritable, which it needs) were raised.
    assert.equal(caps.CapPrm, bit(5));
    assert.equal(caps.CapEff, bit(5));
    assert.equal(caps.CapInh, bit(5) | bit(13));
    assert.equal(caps.CapAmb, bit(5));
  });

  it('sets no_new_privs when asked', () => {
    const yes = h.run(['grep', 'NoNewPrivs', '/proc/self/status'], (s) => { s.process!.noNewPrivileges = true; });
    assert.equal(yes.status, 0, yes.stderr);
    assert.match(yes.stdout, /NoNewPrivs:\s+1/);
    const no = h.run(['grep', 'NoNewPrivs', '/proc/self/status'], (s) => { s.process!.noNewPrivileges = false; });
    assert.equal(no.status, 0, no.stderr);
    assert.match(no.stdout, /NoNewPrivs:\s+0/);
  });

  it('applies rlimits, and says clearly when raising a hard limit needs CAP_SYS_RESOURCE', () => {
    const r = h.run(['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 768 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['512', '768', '0']);
    const current = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+\d+\s+(\d+)/)![1];
    const raise = h.run(['true'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: Number(current) * 4 }];
    });
    const hasSysResource = (BigInt(`0x${fs.readFileSync('/proc/self/status', 'utf8').match(/CapBnd:\s+(\w+)/)![1]}`) >> 24n) & 1n;
    if (hasSysResource) assert.equal(raise.status, 0, raise.stderr);
    else {
      assert.notEqual(raise.status, 0);
      assert.match(raise.stderr, /^hako: rlimit: resource 7: raising the hard limit .* needs CAP_SYS_RESOURCE/);
    }
  });

  it('sets oom_score_adj, sysctls, env and cwd', () => {
    const r = h.run(['sh', '-c', 'cat /proc/self/oom_score_adj; cat /proc/sys/net/ipv4/ip_forward; echo $FOO; pwd'], (s) => {
      s.process!.oomScoreAdj = 500;
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      s.process!.env!.push('FOO=bar baz');
      s.process!.cwd = '/tmp';
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['500', '1', 'bar baz', '/tmp']);
  });

  it('gets HOME from the container\'s /etc/passwd when env has none, like runc; a FIFO there does not hang it', async () => {
    const home = (user: { uid: number; gid: number }, env?: string) => {
      const r = h.run(['sh', '-c', 'echo "$HOME"'], (s) => { s.process!.user = user; if (env) s.process!.env!.push(env); });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(home({ uid: 0, gid: 0 }), '/root');
    assert.equal(home({ uid: 65534, gid: 65534 }), '/nonexistent');
    assert.equal(home({ uid: 4242, gid: 4242 }), '/', 'no passwd entry');
    assert.equal(home({ uid: 0, gid: 0 }, 'HOME=/data'), '/data', 'the config\'s own HOME wins');
    // A hostile image: /etc/passwd is a FIFO nobody writes to.
    const bundle = h.bundle(['sh', '-c', 'echo "$HOME"']);
    fs.rmSync(`${bundle}/rootfs/etc/passwd`);
    const w = new LayerWorker(`${bundle}/rootfs`);
    w.op(rec('node', 'etc/passwd', 'fifo', '420', '0', '0', '-1', '-1', '0', '0'), 'etc/passwd');
    await w.close();
    const r = h.hako(['run', '--bundle', bundle, h.id()]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '/');
  });

  it('creates a missing cwd, even under a read-only rootfs, as runc does; a file there is an error', () => {
    const r = h.run(['sh', '-c', 'pwd; stat -c %a /srv/app'], (s) => { s.process!.cwd = '/srv/app'; s.root!.readonly = true; });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['/srv/app', '755']);
    const f = h.run(['true'], (s) => { s.process!.cwd = '/etc/passwd'; });
    assert.notEqual(f.status, 0);
    assert.match(f.stderr, /^hako: mkdirs: \/etc\/passwd: not a directory\n$/);
  });

  it('masks and makes read-only what the config says', () => {
    assert.ok(fs.readFileSync('/proc/keys', 'utf8').length > 0, 'the host shows /proc/keys: masking it is visible');
    const r = h.run(['sh', '-c', [
      'wc -c < /proc/keys',
      'ls /sys/firmware | wc -l',
      'echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo readonly',
      'touch /newfile 2>/dev/null && echo rootfs-writable || echo rootfs-readonly',
      'touch /dev/shm/x && echo shm-writable',
    ].join('; ')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '0', 'readonly', 'rootfs-readonly', 'shm-writable']);
  });

  it('mounts /proc, /dev with devices and symlinks, /dev/pts, /dev/shm, /dev/mqueue, /sys', () => {
    const r = h.run(['sh', '-c', 'cat /proc/self/mounts; ls -l /dev; echo hi > /dev/null; head -c 4 /dev/zero | wc -c']);
    assert.equal(r.status, 0, r.stderr);
    const mounts = r.stdout.split('\n').filter((l) => / \/\S* \w+ /.test(l) && !l.startsWith('total')).map((l) => l.split(' '));
    const at = (dest: string) => mounts.find((m) => m[1] === dest);
    assert.equal(at('/proc')?.[2], 'proc');
    assert.equal(at('/dev')?.[2], 'tmpfs');
    assert.equal(at('/dev/pts')?.[2], 'devpts');
    assert.equal(at('/dev/shm')?.[2], 'tmpfs');
    assert.equal(at('/dev/mqueue')?.[2], 'mqueue');
    assert.equal(at('/sys')?.[2], 'sysfs');
    assert.match(at('/sys')![3], /^ro,/);
    assert.match(at('/')![3], /^ro,/, 'root.readonly');
    for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) assert.match(r.stdout, new RegExp(`^crw-rw-rw-.* ${dev}$`, 'm'));
    assert.match(r.stdout, /ptmx -> pts\/ptmx/);
    assert.match(r.stdout, /fd -> \/proc\/self\/fd/);
    assert.match(r.stdout, /stdin -> \/proc\/self\/fd\/0/);
    assert.match(r.stdout.trim(), /\n4$/);
  });

  it('performs config mounts in order with their options: bind, ro bind, tmpfs options', () => {
    const src = fs.mkdtempSync('/tmp/hako-src-');
    fs.writeFileSync(`${src}/file`, 'from host\n');
    try {
      const r = h.run(['sh', '-c', 'cat /data/file; touch /data/new 2>/dev/null || echo ro; grep " /scratch " /proc/self/mounts; grep -c " /scratch/inner " /proc/self/mounts'], (s) => {
        s.mounts!.push({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'ro', 'nosuid'] });
        s.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=700', 'noexec'] });
        s.mounts!.push({ destination: '/scratch/inner', type: 'tmpfs', source: 'tmpfs', options: [] });
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'from host');
      assert.equal(lines[1], 'ro');
      assert.match(lines[2], /tmpfs \/scratch tmpfs rw,.*noexec.*size=1024k,mode=700/);
      assert.equal(lines[3], '1', 'a mount inside an earlier one, in order');
      assert.deepEqual(fs.readdirSync(src), ['file'], 'the ro bind did not let the container write to the host');
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });

  it('keeps mount targets inside the rootfs even through hostile symlinks', () => {
    const outside = fs.mkdtempSync('/tmp/hako-outside-');
    try {
      const bundle = h.bundle(['sh', '-c', 'grep " /tmp/hako-outside" /proc/self/mounts'], (s) => {
        s.mounts!.push({ destination: '/evil', type: 'tmpfs', source: 'tmpfs', options: [] });
      });
      // /evil -> the host directory, absolute and relative escapes.
      fs.symlinkSync(outside, `${bundle}/rootfs/evil`);
      const r = h.hako(['run', '--bundle', bundle, h.id()]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(fs.readdirSync(outside).length, 0, 'nothing was created outside');
      // The mount landed inside the rootfs at the symlink's target as seen from inside.
      assert.match(r.stdout, /tmpfs/);
      for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) assert.ok(!m.includes(outside), `host mount at ${outside}`);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('creates linux.devices', () => {
    const r = h.run(['ls', '-l', '/dev/mynull', '/dev/myblock'], (s) => {
      s.linux!.devices = [
        { type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: 0o640, uid: 7, gid: 8 },
        { type: 'b', path: '/dev/myblock', major: 7, minor: 0, fileMode: 0o600 },
      ];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^crw-r-----\s+1 7\s+8\s+1,\s+3 .*\/dev\/mynull$/m);
    assert.match(r.stdout, /^brw-------\s+1 root\s+root\s+7,\s+0 .*\/dev\/myblock$/m);
  });

  it('sets time namespace offsets', () => {
    const r = h.run(['cat', '/proc/uptime'], (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 86400 * 365, nanosecs: 0 } };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout.split(' ')[0]) > 86400 * 365, r.stdout);
  });
});
