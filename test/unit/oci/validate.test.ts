import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSpec } from '../../../src/oci/default.js';
import { parseConfigFile, validateProcess, validateResources, validateSpec } from '../../../src/oci/validate.js';
import { ConfigError, HakoError } from '../../../src/util/errors.js';
import type { Spec } from '../../../src/oci/types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Mutate = (s: any) => void;

/** A spec from defaultSpec() (or the rootless one) changed by `mutate`. */
function specWith(mutate: Mutate, rootless = false): any {
  const s = defaultSpec({ rootless }) as any;
  mutate(s);
  return s;
}

/** Asserts that validation fails with exactly this field, and this problem (string: exact). */
function assertConfigError(raw: unknown, field: string, problem: string | RegExp): void {
  assert.throws(
    () => validateSpec(raw),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.equal(e.field, field);
      if (typeof problem === 'string') assert.equal(e.message, `config.json: ${field}: ${problem}`);
      else assert.match(e.message.slice(`config.json: ${field}: `.length), problem);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
}

test('defaultSpec() and defaultSpec({rootless}) validate cleanly and come back unchanged', () => {
  for (const rootless of [false, true]) {
    const spec = defaultSpec({ rootless });
    const copy = structuredClone(spec);
    const out = validateSpec(spec);
    assert.deepEqual(out, copy);
    assert.deepEqual(spec, copy, 'input not modified');
    assert.notEqual(out, spec, 'a copy is returned');
  }
});

test('a config that uses most of the spec validates', () => {
  const spec = specWith((s) => {
    s.domainname = 'example.org';
    s.annotations = { 'org.opencontainers.image.title': 'x', plain: '' };
    s.process.user = { uid: 0, gid: 0, umask: 0o22, additionalGids: [1, 2], username: 'root' };
    s.process.consoleSize = { height: 24, width: 80 };
    s.process.oomScoreAdj = -1000;
    s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
    s.process.scheduler = { policy: 'SCHED_FIFO', priority: 10, nice: -5 };
    s.process.execCPUAffinity = { initial: '0', final: '0-1,3' };
    s.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 });
    s.process.env.push('EMPTY=');
    s.process.apparmorProfile = 'unconfined';
    s.mounts.push({
      destination: '/data',
      type: 'none',
      source: '/srv',
      options: ['rbind', 'ro'],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    });
    s.mounts.push({ destination: '/etc/hosts', type: 'bind', source: 'hosts' });
    s.hooks = {
      prestart: [{ path: '/bin/true' }],
      createRuntime: [{ path: '/usr/bin/hook', args: ['hook', 'create'], env: ['A=b'], timeout: 5 }],
      poststop: [],
    };
    s.linux.namespaces.push({ type: 'time' });
    s.linux.timeOffsets = { monotonic: { secs: -10, nanosecs: 0 }, boottime: { secs: 86400 } };
    s.linux.devices = [
      { type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
      { type: 'p', path: '/dev/myfifo' },
    ];
    s.linux.cgroupsPath = 'system.slice:hako:abc';
    s.linux.resources = {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
        { allow: true, type: 'b', major: null, minor: null, access: 'm' },
      ],
      memory: { limit: 536870912, reservation: 0, swap: -1, swappiness: 60, disableOOMKiller: false },
      cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1', mems: '0', idle: 0 },
      pids: { limit: -1 },
      blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 100 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
      unified: { 'io.weight': '100' },
    };
    s.linux.rootfsPropagation = 'rslave';
    s.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    s.linux.sysctl = {
      'net.ipv4.ip_forward': '1',
      'net/ipv4/conf/eth0.100/forwarding': '1',
      'kernel.shmmax': '1000',
      'fs.mqueue.msg_max': '10',
      'kernel.domainname': 'x',
    };
    s.linux.mountLabel = '';
    s.linux.personality = { domain: 'LINUX32' };
    s.linux.intelRdt = { closID: 'guaranteed', l3CacheSchema: 'L3:0=7f0' };
  });
  const out = validateSpec(spec);
  assert.equal(out.process!.rlimits![1].soft, 18446744073709551615);
  assert.equal(out.linux!.seccomp!.syscalls!.length, 2);
});

test('device rule access and type as runc 1.1 reads them: other letters, repeats, any order; an empty type is "a"', () => {
  const out = validateSpec(
    specWith((s) => {
      s.linux.resources = {
        devices: [
          { allow: false, type: '', access: 'rwm' },
          ...['rwa', 'rrw', 'mwr', 'rwx', 'a'].map((access) => ({ allow: true, type: 'c', major: 1, minor: 3, access })),
        ],
      };
    }),
  );
  assert.equal(out.linux!.resources!.devices![0].type, undefined);
  assert.deepEqual(
    out.linux!.resources!.devices!.map((d) => d.access),
    ['rwm', 'rwa', 'rrw', 'mwr', 'rwx', 'a'],
  );
});

test('unknown extra fields are allowed and kept', () => {
  const out = validateSpec(
    specWith((s) => {
      s.vendorThing = { a: 1 };
      s.process.futureField = true;
      s.linux.netDevices = { eth0: { name: 'eth1' } };
    }),
  ) as any;
  assert.deepEqual(out.vendorThing, { a: 1 });
  assert.equal(out.process.futureField, true);
});

test('null in an optional field counts as absent and is removed', () => {
  const out = validateSpec(
    specWith((s) => {
      s.hooks = null;
      s.process.capabilities.inheritable = null;
      s.linux.seccomp = null;
      s.linux.namespaces[0].path = null;
    }),
  );
  assert.ok(!('hooks' in out));
  assert.ok(!('inheritable' in out.process!.capabilities!));
  assert.ok(!('seccomp' in out.linux!));
  assert.ok(!('path' in out.linux!.namespaces![0]));
});

test('empty strings that are Go zero values mean "unset": namespace path, rootfsPropagation', () => {
  const out = validateSpec(
    specWith((s) => {
      s.linux.namespaces[0].path = '';
      s.linux.rootfsPropagation = '';
    }),
  );
  assert.ok(!('path' in out.linux!.namespaces![0]));
  assert.ok(!('rootfsPropagation' in out.linux!));
});

test('joining a user namespace by path needs no mappings; mappings are then allowed too', () => {
  assert.doesNotThrow(() =>
    validateSpec(
      specWith((s) => {
        s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
      }),
    ),
  );
  assert.doesNotThrow(() =>
    validateSpec(
      specWith((s) => {
        s.linux.namespaces = s.linux.namespaces.map((n: any) => (n.type === 'user' ? { type: 'user', path: '/proc/1/ns/user' } : n));
        s.process.user.uid = 4242; // not checked against mappings of a namespace we do not create
      }, true),
    ),
  );
});

test('top level must be an object', () => {
  for (const raw of [null, [], 'x', 3]) {
    assert.throws(
      () => validateSpec(raw),
      (e: unknown) => e instanceof HakoError && /^config\.json: must be a JSON object/.test(e.message),
    );
  }
});

// Each case: what to break, the exact field path, and the exact problem (or a pattern for it).
const cases: [string, Mutate, string, string | RegExp, boolean?][] = [
  // top level
  [
    'ociVersion missing',
    (s) => {
      delete s.ociVersion;
    },
    'ociVersion',
    'missing',
  ],
  [
    'ociVersion wrong type',
    (s) => {
      s.ociVersion = 1;
    },
    'ociVersion',
    'must be a string (got the number 1)',
  ],
  [
    'ociVersion empty',
    (s) => {
      s.ociVersion = '';
    },
    'ociVersion',
    'must not be empty',
  ],
  [
    'root missing',
    (s) => {
      delete s.root;
    },
    'root',
    'missing',
  ],
  [
    'root wrong type',
    (s) => {
      s.root = 'rootfs';
    },
    'root',
    'must be an object (got a string)',
  ],
  [
    'root.path missing',
    (s) => {
      delete s.root.path;
    },
    'root.path',
    'missing',
  ],
  [
    'root.path empty',
    (s) => {
      s.root.path = '';
    },
    'root.path',
    'must not be empty',
  ],
  [
    'root.readonly wrong type',
    (s) => {
      s.root.readonly = 'yes';
    },
    'root.readonly',
    'must be true or false (got a string)',
  ],
  [
    'hostname wrong type',
    (s) => {
      s.hostname = 5;
    },
    'hostname',
    'must be a string (got the number 5)',
  ],
  [
    'hostname too long',
    (s) => {
      s.hostname = 'h'.repeat(65);
    },
    'hostname',
    'must be at most 64 bytes long',
  ],
  [
    'hostname without uts ns',
    (s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'uts');
    },
    'hostname',
    'requires a uts namespace in linux.namespaces',
  ],
  [
    'domainname without uts ns',
    (s) => {
      delete s.hostname;
      s.domainname = 'x';
      s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'uts');
    },
    'domainname',
    'requires a uts namespace in linux.namespaces',
  ],
  [
    'annotations value',
    (s) => {
      s.annotations = { 'org.example.a': 1 };
    },
    'annotations["org.example.a"]',
    'must be a string (got the number 1)',
  ],
  [
    'annotations empty key',
    (s) => {
      s.annotations = { '': 'x' };
    },
    'annotations',
    'keys must not be empty',
  ],
  [
    'annotations array',
    (s) => {
      s.annotations = ['a=b'];
    },
    'annotations',
    'must be an object (got an array)',
  ],
  [
    'linux wrong type',
    (s) => {
      s.linux = [];
    },
    'linux',
    'must be an object (got an array)',
  ],

  // process
  [
    'process missing',
    (s) => {
      delete s.process;
    },
    'process',
    'missing',
  ],
  [
    'process.args empty',
    (s) => {
      s.process.args = [];
    },
    'process.args',
    'must be a non-empty array of strings',
  ],
  [
    'process.args missing',
    (s) => {
      delete s.process.args;
    },
    'process.args',
    'must be a non-empty array of strings',
  ],
  [
    'process.args string',
    (s) => {
      s.process.args = 'sh';
    },
    'process.args',
    'must be a non-empty array of strings',
  ],
  [
    'process.args element',
    (s) => {
      s.process.args = ['sh', 3];
    },
    'process.args[1]',
    'must be a string (got the number 3)',
  ],
  [
    'process.args[0] empty',
    (s) => {
      s.process.args = [''];
    },
    'process.args[0]',
    'must not be empty',
  ],
  [
    'process.args NUL',
    (s) => {
      s.process.args = ['sh', 'a\0b'];
    },
    'process.args[1]',
    'must not contain a NUL byte',
  ],
  [
    'process.cwd relative',
    (s) => {
      s.process.cwd = 'tmp';
    },
    'process.cwd',
    'must be an absolute path (got "tmp")',
  ],
  [
    'process.cwd missing',
    (s) => {
      delete s.process.cwd;
    },
    'process.cwd',
    'missing',
  ],
  [
    'process.env no =',
    (s) => {
      s.process.env = ['PATH=/bin', 'FOO'];
    },
    'process.env[1]',
    'must be NAME=VALUE (got "FOO")',
  ],
  [
    'process.env empty name',
    (s) => {
      s.process.env = ['=x'];
    },
    'process.env[0]',
    'variable name must not be empty (got "=x")',
  ],
  [
    'process.terminal',
    (s) => {
      s.process.terminal = 'true';
    },
    'process.terminal',
    'must be true or false (got a string)',
  ],
  [
    'process.consoleSize.width',
    (s) => {
      s.process.consoleSize = { height: 1 };
    },
    'process.consoleSize.width',
    'missing',
  ],
  [
    'process.user missing',
    (s) => {
      delete s.process.user;
    },
    'process.user',
    'missing',
  ],
  [
    'process.user.uid missing',
    (s) => {
      s.process.user = { gid: 0 };
    },
    'process.user.uid',
    'missing',
  ],
  [
    'process.user.uid negative',
    (s) => {
      s.process.user.uid = -1;
    },
    'process.user.uid',
    'must not be negative (got -1)',
  ],
  [
    'process.user.uid fraction',
    (s) => {
      s.process.user.uid = 1.5;
    },
    'process.user.uid',
    'must be an integer (got the number 1.5)',
  ],
  [
    'process.user.uid too big',
    (s) => {
      s.process.user.uid = 2 ** 32;
    },
    'process.user.uid',
    'must be between 0 and 4294967295 (got 4294967296)',
  ],
  [
    'process.user.gid string',
    (s) => {
      s.process.user.gid = '0';
    },
    'process.user.gid',
    'must be an integer (got a string)',
  ],
  [
    'process.user.additionalGids',
    (s) => {
      s.process.user.additionalGids = [1, '2'];
    },
    'process.user.additionalGids[1]',
    'must be an integer (got a string)',
  ],
  [
    'capability unknown',
    (s) => {
      s.process.capabilities.bounding = ['CAP_KILL', 'CAP_FLY'];
    },
    'process.capabilities.bounding[1]',
    'unknown capability "CAP_FLY"',
  ],
  [
    'capability lowercase',
    (s) => {
      s.process.capabilities.permitted = ['cap_kill'];
    },
    'process.capabilities.permitted[0]',
    'unknown capability "cap_kill"',
  ],
  [
    'capability set not array',
    (s) => {
      s.process.capabilities.ambient = 'CAP_KILL';
    },
    'process.capabilities.ambient',
    'must be an array (got a string)',
  ],
  [
    'capability element type',
    (s) => {
      s.process.capabilities.effective = [5];
    },
    'process.capabilities.effective[0]',
    'must be a string (got the number 5)',
  ],
  [
    'rlimit unknown',
    (s) => {
      s.process.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }];
    },
    'process.rlimits[0].type',
    'unknown rlimit "RLIMIT_FOO"',
  ],
  [
    'rlimit soft > hard',
    (s) => {
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }];
    },
    'process.rlimits[0].soft',
    'must not be greater than hard (2048 > 1024)',
  ],
  [
    'rlimit duplicate',
    (s) => {
      s.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 });
    },
    'process.rlimits[1].type',
    'duplicate rlimit "RLIMIT_NOFILE" (also process.rlimits[0])',
  ],
  [
    'rlimit negative',
    (s) => {
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: -1 }];
    },
    'process.rlimits[0].hard',
    'must not be negative (got -1)',
  ],
  [
    'rlimit hard missing',
    (s) => {
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1 }];
    },
    'process.rlimits[0].hard',
    'missing',
  ],
  [
    'rlimits not array',
    (s) => {
      s.process.rlimits = {};
    },
    'process.rlimits',
    'must be an array (got an object)',
  ],
  [
    'noNewPrivileges',
    (s) => {
      s.process.noNewPrivileges = 1;
    },
    'process.noNewPrivileges',
    'must be true or false (got the number 1)',
  ],
  [
    'oomScoreAdj range',
    (s) => {
      s.process.oomScoreAdj = 1001;
    },
    'process.oomScoreAdj',
    'must be between -1000 and 1000 (got 1001)',
  ],
  [
    'ioPriority class',
    (s) => {
      s.process.ioPriority = { class: 'BE', priority: 1 };
    },
    'process.ioPriority.class',
    /^unknown I\/O priority class "BE"/,
  ],
  [
    'ioPriority priority',
    (s) => {
      s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 };
    },
    'process.ioPriority.priority',
    'must be between 0 and 7 (got 8)',
  ],
  [
    'scheduler policy missing',
    (s) => {
      s.process.scheduler = { nice: 1 };
    },
    'process.scheduler.policy',
    'missing',
  ],
  [
    'scheduler priority for OTHER',
    (s) => {
      s.process.scheduler = { policy: 'SCHED_OTHER', priority: 1 };
    },
    'process.scheduler.priority',
    'can only be set for SCHED_FIFO or SCHED_RR',
  ],
  [
    'scheduler deadline fields',
    (s) => {
      s.process.scheduler = { policy: 'SCHED_RR', period: 100 };
    },
    'process.scheduler.period',
    'can only be set for SCHED_DEADLINE',
  ],
  [
    'scheduler nice',
    (s) => {
      s.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 };
    },
    'process.scheduler.nice',
    'must be between -20 and 19 (got 20)',
  ],
  [
    'execCPUAffinity',
    (s) => {
      s.process.execCPUAffinity = { initial: 'all' };
    },
    'process.execCPUAffinity.initial',
    /^must be a CPU\/node list/,
  ],

  // mounts
  [
    'mounts not array',
    (s) => {
      s.mounts = {};
    },
    'mounts',
    'must be an array (got an object)',
  ],
  [
    'mount not object',
    (s) => {
      s.mounts[1] = '/dev';
    },
    'mounts[1]',
    'must be an object (got a string)',
  ],
  [
    'mount destination relative',
    (s) => {
      s.mounts[3].destination = 'dev/shm';
    },
    'mounts[3].destination',
    'must be an absolute path (got "dev/shm")',
  ],
  [
    'mount destination missing',
    (s) => {
      delete s.mounts[0].destination;
    },
    'mounts[0].destination',
    'missing',
  ],
  [
    'mount type',
    (s) => {
      s.mounts[0].type = 1;
    },
    'mounts[0].type',
    'must be a string (got the number 1)',
  ],
  [
    'mount options element',
    (s) => {
      s.mounts[2].options = ['nosuid', 1];
    },
    'mounts[2].options[1]',
    'must be a string (got the number 1)',
  ],
  [
    'bind mount without source',
    (s) => {
      s.mounts.push({ destination: '/x', options: ['rbind'] });
    },
    'mounts[7].source',
    'required for a bind mount',
  ],
  [
    'bind type without source',
    (s) => {
      s.mounts.push({ destination: '/x', type: 'bind' });
    },
    'mounts[7].source',
    'required for a bind mount',
  ],
  [
    'idmapped mount: one mapping',
    (s) => {
      s.mounts.push({ destination: '/x', source: '/y', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
    },
    'mounts[7].gidMappings',
    'required when uidMappings is set',
  ],
  [
    'idmapped mount: not bind',
    (s) => {
      const m = [{ containerID: 0, hostID: 1, size: 1 }];
      s.mounts.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', uidMappings: m, gidMappings: m });
    },
    'mounts[7].uidMappings',
    /^id-mapped mounts must be bind mounts/,
  ],
  [
    'idmapped mount: bad size',
    (s) => {
      const m = [{ containerID: 0, hostID: 1, size: 0 }];
      s.mounts.push({ destination: '/x', source: '/y', options: ['bind'], uidMappings: m, gidMappings: m });
    },
    'mounts[7].uidMappings[0].size',
    'must be a positive integer',
  ],

  // hooks
  [
    'hooks not object',
    (s) => {
      s.hooks = [];
    },
    'hooks',
    'must be an object (got an array)',
  ],
  [
    'hook kind not array',
    (s) => {
      s.hooks = { createRuntime: { path: '/bin/true' } };
    },
    'hooks.createRuntime',
    'must be an array (got an object)',
  ],
  [
    'hook path relative',
    (s) => {
      s.hooks = { prestart: [{ path: 'bin/hook' }] };
    },
    'hooks.prestart[0].path',
    'must be an absolute path (got "bin/hook")',
  ],
  [
    'hook path missing',
    (s) => {
      s.hooks = { poststart: [{ path: '/a' }, { args: [] }] };
    },
    'hooks.poststart[1].path',
    'missing',
  ],
  [
    'hook timeout zero',
    (s) => {
      s.hooks = { poststop: [{ path: '/a', timeout: 0 }] };
    },
    'hooks.poststop[0].timeout',
    'must be greater than zero (got 0)',
  ],
  [
    'hook env',
    (s) => {
      s.hooks = { startContainer: [{ path: '/a', env: ['X'] }] };
    },
    'hooks.startContainer[0].env[0]',
    'must be NAME=VALUE (got "X")',
  ],
  [
    'hook args',
    (s) => {
      s.hooks = { createContainer: [{ path: '/a', args: 'a b' }] };
    },
    'hooks.createContainer[0].args',
    'must be an array (got a string)',
  ],

  // namespaces
  [
    'namespace type unknown',
    (s) => {
      s.linux.namespaces[2].type = 'foo';
    },
    'linux.namespaces[2].type',
    'unknown namespace type "foo"',
  ],
  [
    'namespace type missing',
    (s) => {
      delete s.linux.namespaces[0].type;
    },
    'linux.namespaces[0].type',
    'missing',
  ],
  [
    'namespace short name',
    (s) => {
      s.linux.namespaces[1].type = 'net';
    },
    'linux.namespaces[1].type',
    'unknown namespace type "net"',
  ],
  [
    'namespace repeated with another path',
    (s) => {
      s.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' });
    },
    'linux.namespaces[6].type',
    'duplicate namespace type "pid" (also linux.namespaces[0]), as runc refuses it',
  ],
  [
    'namespace repeated identically',
    (s) => {
      s.linux.namespaces.push({ type: 'uts' });
    },
    'linux.namespaces[6].type',
    /^duplicate namespace type "uts" \(also linux\.namespaces\[\d\]\), as runc refuses it$/,
  ],
  [
    'namespace path relative',
    (s) => {
      s.linux.namespaces[1].path = 'proc/1/ns/net';
    },
    'linux.namespaces[1].path',
    'must be an absolute path (got "proc/1/ns/net")',
  ],
  [
    'namespaces not array',
    (s) => {
      s.linux.namespaces = { pid: {} };
    },
    'linux.namespaces',
    'must be an array (got an object)',
  ],

  // user namespace and mappings
  [
    'uidMappings without user ns',
    (s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    },
    'linux.uidMappings',
    'requires a user namespace in linux.namespaces',
  ],
  [
    'gidMappings without user ns',
    (s) => {
      s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    },
    'linux.gidMappings',
    'requires a user namespace in linux.namespaces',
  ],
  [
    'user ns without mappings',
    (s) => {
      delete s.linux.uidMappings;
      delete s.linux.gidMappings;
    },
    'linux.uidMappings',
    'required when creating a new user namespace',
    true,
  ],
  [
    'user ns without gid mappings',
    (s) => {
      s.linux.gidMappings = [];
    },
    'linux.gidMappings',
    'required when creating a new user namespace',
    true,
  ],
  [
    'mapping size zero',
    (s) => {
      s.linux.uidMappings[0].size = 0;
    },
    'linux.uidMappings[0].size',
    'must be a positive integer',
    true,
  ],
  [
    'mapping size missing',
    (s) => {
      delete s.linux.uidMappings[0].size;
    },
    'linux.uidMappings[0].size',
    'missing',
    true,
  ],
  [
    'mapping containerID type',
    (s) => {
      s.linux.gidMappings[0].containerID = '0';
    },
    'linux.gidMappings[0].containerID',
    'must be an integer (got a string)',
    true,
  ],
  [
    'mapping overflow',
    (s) => {
      s.linux.uidMappings[0] = { containerID: 2, hostID: 0, size: 2 ** 32 - 1 };
    },
    'linux.uidMappings[0].size',
    'containerID + size must not exceed 4294967296',
    true,
  ],
  [
    'mapping overlap (container)',
    (s) => {
      s.linux.gidMappings.push({ containerID: 0, hostID: 5000, size: 10 });
    },
    'linux.gidMappings[1]',
    'container range overlaps linux.gidMappings[0]',
    true,
  ],
  [
    'mapping overlap (host)',
    (s) => {
      s.linux.uidMappings.push({ containerID: 1, hostID: 1000, size: 10 });
    },
    'linux.uidMappings[1]',
    'host range overlaps linux.uidMappings[0]',
    true,
  ],
  [
    'uid not mapped',
    (s) => {
      s.process.user.uid = 1;
    },
    'process.user.uid',
    '1 is not mapped by linux.uidMappings',
    true,
  ],
  [
    'gid not mapped',
    (s) => {
      s.process.user.gid = 7;
    },
    'process.user.gid',
    '7 is not mapped by linux.gidMappings',
    true,
  ],
  [
    'additional gid not mapped',
    (s) => {
      s.process.user.additionalGids = [0, 5];
    },
    'process.user.additionalGids[1]',
    '5 is not mapped by linux.gidMappings',
    true,
  ],

  // time namespace
  [
    'timeOffsets without time ns',
    (s) => {
      s.linux.timeOffsets = { monotonic: { secs: 1 } };
    },
    'linux.timeOffsets',
    'requires a time namespace in linux.namespaces',
  ],
  [
    'timeOffsets joining time ns',
    (s) => {
      s.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
      s.linux.timeOffsets = { boottime: { secs: 1 } };
    },
    'linux.timeOffsets',
    /^cannot be set when joining/,
  ],
  [
    'timeOffsets unknown clock',
    (s) => {
      s.linux.namespaces.push({ type: 'time' });
      s.linux.timeOffsets = { realtime: { secs: 1 } };
    },
    'linux.timeOffsets.realtime',
    'unknown clock "realtime" (expected monotonic or boottime)',
  ],
  [
    'timeOffsets nanosecs',
    (s) => {
      s.linux.namespaces.push({ type: 'time' });
      s.linux.timeOffsets = { monotonic: { nanosecs: 1e9 } };
    },
    'linux.timeOffsets.monotonic.nanosecs',
    'must be between 0 and 999999999 (got 1000000000)',
  ],

  // devices
  [
    'device type',
    (s) => {
      s.linux.devices = [{ type: 'x', path: '/dev/x', major: 1, minor: 1 }];
    },
    'linux.devices[0].type',
    'unknown device type "x" (expected one of c, b, u, p)',
  ],
  [
    'device path relative',
    (s) => {
      s.linux.devices = [{ type: 'c', path: 'dev/null', major: 1, minor: 3 }];
    },
    'linux.devices[0].path',
    'must be an absolute path (got "dev/null")',
  ],
  [
    'device path missing',
    (s) => {
      s.linux.devices = [{ type: 'c', major: 1, minor: 3 }];
    },
    'linux.devices[0].path',
    'missing',
  ],
  [
    'device major missing',
    (s) => {
      s.linux.devices = [
        { type: 'p', path: '/dev/f' },
        { type: 'b', path: '/dev/sda', minor: 0 },
      ];
    },
    'linux.devices[1].major',
    'missing',
  ],
  [
    'device fileMode',
    (s) => {
      s.linux.devices = [{ type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: '0666' }];
    },
    'linux.devices[0].fileMode',
    'must be an integer (got a string)',
  ],

  // resources
  [
    'memory.limit string',
    (s) => {
      s.linux.resources.memory = { limit: '1g' };
    },
    'linux.resources.memory.limit',
    'must be an integer (got a string)',
  ],
  [
    'memory.swappiness',
    (s) => {
      s.linux.resources.memory = { swappiness: 101 };
    },
    'linux.resources.memory.swappiness',
    'must be between 0 and 100 (got 101)',
  ],
  [
    'memory.disableOOMKiller',
    (s) => {
      s.linux.resources.memory = { disableOOMKiller: 'no' };
    },
    'linux.resources.memory.disableOOMKiller',
    'must be true or false (got a string)',
  ],
  [
    'cpu.shares negative',
    (s) => {
      s.linux.resources.cpu = { shares: -1 };
    },
    'linux.resources.cpu.shares',
    'must not be negative (got -1)',
  ],
  [
    'cpu.quota fraction',
    (s) => {
      s.linux.resources.cpu = { quota: 0.5 };
    },
    'linux.resources.cpu.quota',
    'must be an integer (got the number 0.5)',
  ],
  [
    'cpu.cpus',
    (s) => {
      s.linux.resources.cpu = { cpus: '0-' };
    },
    'linux.resources.cpu.cpus',
    /^must be a CPU\/node list/,
  ],
  [
    'pids.limit missing',
    (s) => {
      s.linux.resources.pids = {};
    },
    'linux.resources.pids.limit',
    'missing',
  ],
  [
    'pids.limit string',
    (s) => {
      s.linux.resources.pids = { limit: '10' };
    },
    'linux.resources.pids.limit',
    'must be an integer (got a string)',
  ],
  [
    'device rule access empty',
    (s) => {
      s.linux.resources.devices[0].access = '';
    },
    'linux.resources.devices[0].access',
    'must not be empty (some of r, w and m), as runc requires',
  ],
  [
    'device rule access missing',
    (s) => {
      s.linux.resources.devices.push({ allow: true, type: 'c' });
    },
    'linux.resources.devices[1].access',
    'missing',
  ],
  [
    'device rule allow missing',
    (s) => {
      s.linux.resources.devices.push({ access: 'r' });
    },
    'linux.resources.devices[1].allow',
    'missing',
  ],
  [
    'device rule type',
    (s) => {
      s.linux.resources.devices.push({ allow: true, type: 'p', access: 'r' });
    },
    'linux.resources.devices[1].type',
    /^unknown device rule type "p"/,
  ],
  [
    'hugepage pageSize',
    (s) => {
      s.linux.resources.hugepageLimits = [{ pageSize: '2M', limit: 1 }];
    },
    'linux.resources.hugepageLimits[0].pageSize',
    'must be a size such as "2MB" or "1GB" (got "2M")',
  ],
  [
    'blockIO throttle rate',
    (s) => {
      s.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] };
    },
    'linux.resources.blockIO.throttleReadBpsDevice[0].rate',
    'must not be negative (got -1)',
  ],
  [
    'blockIO weight',
    (s) => {
      s.linux.resources.blockIO = { weight: 70000 };
    },
    'linux.resources.blockIO.weight',
    'must be between 0 and 65535 (got 70000)',
  ],
  [
    'unified value',
    (s) => {
      s.linux.resources.unified = { 'memory.max': 5 };
    },
    'linux.resources.unified["memory.max"]',
    'must be a string (got the number 5)',
  ],
  [
    'network classID',
    (s) => {
      s.linux.resources.network = { classID: -1 };
    },
    'linux.resources.network.classID',
    'must not be negative (got -1)',
  ],
  [
    'rdma',
    (s) => {
      s.linux.resources.rdma = { mlx: { hcaHandles: 'x' } };
    },
    'linux.resources.rdma.mlx.hcaHandles',
    'must be an integer (got a string)',
  ],

  // other linux fields
  [
    'rootfsPropagation',
    (s) => {
      s.linux.rootfsPropagation = 'bogus';
    },
    'linux.rootfsPropagation',
    'unknown propagation "bogus" (expected one of private, rprivate, shared, rshared, slave, rslave, unbindable, runbindable)',
  ],
  [
    'seccomp defaultAction missing',
    (s) => {
      s.linux.seccomp = { syscalls: [] };
    },
    'linux.seccomp.defaultAction',
    'missing',
  ],
  [
    'seccomp names string',
    (s) => {
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: 'read', action: 'SCMP_ACT_ERRNO' }] };
    },
    'linux.seccomp.syscalls[0].names',
    'must be an array (got a string)',
  ],
  [
    'seccomp names empty',
    (s) => {
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] };
    },
    'linux.seccomp.syscalls[0].names',
    'must list at least one syscall',
  ],
  [
    'seccomp action missing',
    (s) => {
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'A' }, { names: ['write'] }] };
    },
    'linux.seccomp.syscalls[1].action',
    'missing',
  ],
  [
    'seccomp syscall not object',
    (s) => {
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: ['read'] };
    },
    'linux.seccomp.syscalls[0]',
    'must be an object (got a string)',
  ],
  [
    'seccomp arg index',
    (s) => {
      s.linux.seccomp = { defaultAction: 'A', syscalls: [{ names: ['x'], action: 'A', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] };
    },
    'linux.seccomp.syscalls[0].args[0].index',
    'must be between 0 and 5 (got 6)',
  ],
  [
    'sysctl value type',
    (s) => {
      s.linux.sysctl = { 'net.ipv4.ip_forward': 1 };
    },
    'linux.sysctl["net.ipv4.ip_forward"]',
    'must be a string (got the number 1)',
  ],
  [
    'sysctl not namespaced',
    (s) => {
      s.linux.sysctl = { 'kernel.pid_max': '100' };
    },
    'linux.sysctl["kernel.pid_max"]',
    'is not namespaced; it cannot be set for a container',
  ],
  [
    'sysctl net without netns',
    (s) => {
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    },
    'linux.sysctl["net.ipv4.ip_forward"]',
    'needs a network namespace in linux.namespaces',
    true,
  ],
  [
    'sysctl ipc without ipcns',
    (s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'ipc');
      s.linux.sysctl = { 'kernel/shmmax': '1' };
    },
    'linux.sysctl["kernel/shmmax"]',
    'needs an ipc namespace in linux.namespaces',
  ],
  [
    'sysctl kernel.hostname',
    (s) => {
      s.linux.sysctl = { 'kernel.hostname': 'x' };
    },
    'linux.sysctl["kernel.hostname"]',
    'use the "hostname" field instead',
  ],
  [
    'maskedPaths relative',
    (s) => {
      s.linux.maskedPaths[1] = 'proc/asound';
    },
    'linux.maskedPaths[1]',
    'must be an absolute path (got "proc/asound")',
  ],
  [
    'readonlyPaths type',
    (s) => {
      s.linux.readonlyPaths = '/proc';
    },
    'linux.readonlyPaths',
    'must be an array (got a string)',
  ],
  [
    'maskedPaths without mount ns',
    (s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'mount');
    },
    'linux.maskedPaths',
    'requires a mount namespace in linux.namespaces',
  ],
  [
    'personality domain',
    (s) => {
      s.linux.personality = { domain: 'SVR4' };
    },
    'linux.personality.domain',
    'unknown personality domain "SVR4" (expected one of LINUX, LINUX32)',
  ],
  [
    'intelRdt closID',
    (s) => {
      s.linux.intelRdt = { closID: '..' };
    },
    'linux.intelRdt.closID',
    'invalid resctrl group name ".."',
  ],
  [
    'cgroupsPath type',
    (s) => {
      s.linux.cgroupsPath = ['a'];
    },
    'linux.cgroupsPath',
    'must be a string (got an array)',
  ],
];

// Every case starts from defaultSpec(), which validates (first test), so each failure is caused by
// the case's own change.
for (const [name, mutate, field, problem, rootless] of cases) {
  test(`rejects: ${name} -> ${field}`, () => {
    assertConfigError(specWith(mutate, rootless ?? false), field, problem);
  });
}

test('parseConfigFile parses and validates', () => {
  const spec: Spec = parseConfigFile(JSON.stringify(defaultSpec()), 'config.json');
  assert.equal(spec.process!.args![0], 'sh');
  // a UTF-8 byte order mark is tolerated
  assert.equal(parseConfigFile('\uFEFF' + JSON.stringify(defaultSpec()), 'config.json').ociVersion, defaultSpec().ociVersion);
});

test('parseConfigFile: JSON syntax errors become one line naming the file', () => {
  const texts = ['', '{', '{"ociVersion": "1.2.0",}', '{\n  "ociVersion": "1.2.0"\n  "root": {}\n}', 'nope', '{"a": }'];
  for (const text of texts) {
    assert.throws(
      () => parseConfigFile(text, 'config.json'),
      (e: unknown) => {
        assert.ok(e instanceof HakoError);
        assert.ok(!(e instanceof ConfigError));
        assert.match(e.message, /^config\.json: invalid JSON: \S/);
        assert.ok(!e.message.includes('\n'), `one line: ${JSON.stringify(e.message)}`);
        return true;
      },
      JSON.stringify(text),
    );
  }
});

test('parseConfigFile reports line and column when V8 gives a position', () => {
  assert.throws(
    () => parseConfigFile('{\n  "ociVersion": "1.2.0",\n}', '/b/config.json'),
    (e: unknown) => {
      assert.ok(e instanceof HakoError);
      assert.match(e.message, /^\/b\/config\.json: invalid JSON: .* \(line 3, column 1\)$/);
      return true;
    },
  );
});

test('parseConfigFile passes validation errors through', () => {
  assert.throws(
    () => parseConfigFile('{"ociVersion": "1.2.0"}', 'config.json'),
    (e: unknown) => e instanceof ConfigError && e.message === 'config.json: root: missing',
  );
  assert.throws(() => parseConfigFile('[]', 'config.json'), /^HakoError: config\.json: must be a JSON object \(got an array\)$/);
});

test('update --resources and exec get the same checks, named after where the value came from', () => {
  const only = (re: RegExp) => (e: unknown) => e instanceof HakoError && !(e instanceof ConfigError) && re.test(e.message);
  assert.deepEqual(validateResources({ memory: { limit: 1 << 20 }, cpu: null }, 'update: --resources r.json'), { memory: { limit: 1 << 20 } });
  assert.throws(
    () => validateResources({ memory: { limit: 'abc' } }, 'update: --resources r.json'),
    only(/^update: --resources r\.json: resources\.memory\.limit: must be an integer \(got a string\)$/),
  );
  assert.throws(() => validateResources({ cpu: { cpus: 5 } }, 'X'), only(/^X: resources\.cpu\.cpus: must be a string/));
  assert.throws(() => validateResources([], 'X'), only(/^X: resources: must be an object \(got an array\)$/));
  assert.throws(() => validateProcess({ args: ['true'], cwd: 'rel', user: { uid: 0, gid: 0 } }, 'exec'), only(/^exec: process\.cwd: must be an absolute path/));
  assert.throws(
    () => validateProcess({ args: ['true'], cwd: 'rel', user: { uid: 0, gid: 0 } }),
    (e: unknown) => e instanceof ConfigError && /^config\.json: process\.cwd/.test(e.message),
  );
});
