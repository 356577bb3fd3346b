import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSpec, capabilitySet, combineCommand, mergeEnv, loadSeccompFile, stopSignalFor } from '../../../src/engine/spec.js';
import { parseRunArgs } from '../../../src/engine/flags.js';
import { resolveContainer } from '../../../src/engine/store.js';
import { dockerTime, parseLogLine, tailEntries, parseLog } from '../../../src/engine/logs.js';
import { renderTemplate } from '../../../src/engine/format.js';
import { planNetwork, exposedMappings } from '../../../src/engine/network.js';
import { NetworkStore } from '../../../src/network/networks.js';
import { HakoError } from '../../../src/util/errors.js';

test('Entrypoint and Cmd combine like docker', () => {
  const img = { Entrypoint: ['/ep'], Cmd: ['a', 'b'] };
  assert.deepEqual(combineCommand(img, undefined, []), ['/ep', 'a', 'b']);
  assert.deepEqual(combineCommand(img, undefined, ['x']), ['/ep', 'x']);
  assert.deepEqual(combineCommand(img, '/other', []), ['/other']); // --entrypoint drops the image Cmd
  assert.deepEqual(combineCommand(img, '/other', ['y']), ['/other', 'y']);
  assert.deepEqual(combineCommand(img, '', ['sh']), ['sh']);
  assert.deepEqual(combineCommand({ Cmd: ['sh'] }, undefined, []), ['sh']);
  assert.deepEqual(combineCommand({ Entrypoint: null, Cmd: null }, undefined, ['ls']), ['ls']);
  assert.throws(
    () => combineCommand({}, undefined, []),
    (e: unknown) => e instanceof HakoError && /no command specified/.test(e.message),
  );
});

test('environment: image, then -e, PATH default, HOSTNAME, TERM with a tty', () => {
  assert.deepEqual(mergeEnv(['A=1', 'PATH=/x'], ['A=2', 'B=3'], { hostname: 'h', tty: false }), ['HOSTNAME=h', 'A=2', 'PATH=/x', 'B=3']);
  const env = mergeEnv([], [], { hostname: 'h', tty: true });
  assert.ok(env.some((e) => e.startsWith('PATH=/usr/local/sbin')));
  assert.ok(env.includes('TERM=xterm'));
});

test('capability arithmetic', () => {
  const none = { capAdd: [], capDrop: [], privileged: false };
  assert.equal(capabilitySet(none).length, 14);
  assert.ok(capabilitySet(none).includes('CAP_NET_RAW'));
  assert.ok(!capabilitySet(none).includes('CAP_SYS_ADMIN'));
  assert.deepEqual(capabilitySet({ ...none, capDrop: ['ALL'], capAdd: ['CAP_CHOWN'] }), ['CAP_CHOWN']);
  assert.ok(!capabilitySet({ ...none, capDrop: ['CAP_NET_RAW'] }).includes('CAP_NET_RAW'));
  assert.ok(capabilitySet({ ...none, privileged: true }).includes('CAP_SYS_ADMIN'));
});

test('--privileged and --cap-add ALL grant what the bounding set holds, no more', () => {
  const none = { capAdd: [], capDrop: [], privileged: false };
  const withoutSysResource = ~(1n << 24n); // CAP_SYS_RESOURCE is 24
  for (const opts of [
    { ...none, privileged: true },
    { ...none, capAdd: ['ALL'] },
  ]) {
    const caps = capabilitySet(opts, withoutSysResource);
    assert.ok(!caps.includes('CAP_SYS_RESOURCE'), 'not in the bounding set: not granted');
    assert.ok(caps.includes('CAP_SYS_ADMIN'));
    assert.ok(capabilitySet(opts, ~0n).includes('CAP_SYS_RESOURCE'));
  }
  // Named on its own, it is asked for (and the runtime says why it cannot be had).
  assert.ok(capabilitySet({ ...none, capAdd: ['CAP_SYS_RESOURCE'] }, withoutSysResource).includes('CAP_SYS_RESOURCE'));
});

function specFor(args: string[], image = { Cmd: ['sh'], Env: ['PATH=/bin'] }) {
  const opts = parseRunArgs([...args, 'img']);
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-spec-'));
  try {
    fs.mkdirSync(path.join(rootfs, 'etc'));
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n');
    return buildSpec({
      opts,
      image,
      args: combineCommand(image, opts.entrypoint, opts.command),
      hostname: 'abc',
      rootfs,
      extraMounts: [],
      netns: 'new',
      cgroupsPath: '/hako/x',
      devices: [],
    });
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

test('image config + flags -> OCI spec with docker-safe defaults', () => {
  const s = specFor([]);
  assert.deepEqual(s.process!.args, ['sh']);
  assert.equal(s.process!.terminal, false);
  assert.equal(s.process!.noNewPrivileges, false);
  assert.deepEqual(new Set(s.process!.capabilities!.bounding), new Set(capabilitySet({ capAdd: [], capDrop: [], privileged: false })));
  assert.ok(s.linux!.seccomp && s.linux!.seccomp.defaultAction === 'SCMP_ACT_ERRNO');
  assert.ok(s.linux!.maskedPaths!.includes('/proc/kcore'));
  assert.ok(s.linux!.readonlyPaths!.includes('/proc/sys'));
  assert.ok(s.linux!.namespaces!.some((n) => n.type === 'network' && !n.path));
  assert.equal(s.root!.readonly, false);
  assert.equal(s.hostname, 'abc');
  assert.equal(s.linux!.cgroupsPath, '/hako/x');
  assert.equal(s.linux!.resources!.devices![0].allow, false);
  assert.deepEqual(s.mounts!.find((m) => m.destination === '/proc')!.options, ['nosuid', 'noexec', 'nodev'], "docker's /proc");

  const t = specFor([
    '-t',
    '-u',
    'app',
    '-w',
    '/tmp',
    '--read-only',
    '-m',
    '64m',
    '--cpus',
    '1',
    '--pids-limit',
    '9',
    '--security-opt',
    'no-new-privileges',
    '--ulimit',
    'nofile=10:20',
    '--sysctl',
    'kernel.msgmax=1',
    '--cap-drop',
    'ALL',
  ]);
  assert.equal(t.process!.terminal, true);
  assert.deepEqual([t.process!.user.uid, t.process!.user.gid], [1000, 1000]);
  assert.equal(t.process!.cwd, '/tmp');
  assert.equal(t.root!.readonly, true);
  assert.equal(t.linux!.resources!.memory!.limit, 64 * 1024 * 1024);
  assert.deepEqual(t.linux!.resources!.cpu, { period: 100000, quota: 100000 });
  assert.deepEqual(t.linux!.resources!.pids, { limit: 9 });
  assert.equal(t.process!.noNewPrivileges, true);
  assert.deepEqual(t.process!.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }]);
  assert.deepEqual(t.linux!.sysctl, { 'kernel.msgmax': '1' });
  assert.deepEqual(t.process!.capabilities!.bounding, []);

  const p = specFor(['--privileged']);
  assert.equal(p.linux!.seccomp, undefined);
  assert.deepEqual(p.linux!.maskedPaths, []);
  assert.ok(!p.mounts!.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.equal(specFor(['--security-opt', 'seccomp=unconfined']).linux!.seccomp, undefined);
});

test('seccomp profile files: OCI and docker formats', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-seccomp-'));
  try {
    const f = path.join(dir, 'p.json');
    fs.writeFileSync(
      f,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
        syscalls: [
          { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
          { names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        ],
      }),
    );
    assert.deepEqual(loadSeccompFile(f), {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    });
    assert.throws(() => loadSeccompFile(path.join(dir, 'none.json')), /no such file/);
    // Hostile profiles: one line each, no TypeError.
    for (const [doc, why] of [
      ['null', /must be a JSON object/],
      ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":5}', /syscalls must be an array of objects/],
      ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[null]}', /syscalls must be an array of objects/],
      ['{"defaultAction":"SCMP_ACT_ALLOW","archMap":[null]}', /archMap must be/],
      ['{"defaultAction":', /invalid JSON/],
    ] as const) {
      fs.writeFileSync(f, doc);
      assert.throws(
        () => loadSeccompFile(f),
        (e: unknown) => e instanceof HakoError && why.test(e.message) && e.message.startsWith(`--security-opt seccomp=${f}: `),
      );
    }
    assert.throws(() => loadSeccompFile(dir), /illegal operation on a directory \(EISDIR\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('containers resolve by id, name, or unique id prefix', () => {
  const all = [
    { id: 'abc123' + '0'.repeat(58), name: 'web' },
    { id: 'abd456' + '0'.repeat(58), name: 'abc' },
  ];
  assert.equal(resolveContainer('web', all), all[0].id);
  assert.equal(resolveContainer('/web', all), all[0].id);
  assert.equal(resolveContainer('abc', all), all[1].id); // an exact name beats an id prefix
  assert.equal(resolveContainer('abc1', all), all[0].id);
  assert.equal(resolveContainer(all[1].id, all), all[1].id);
  assert.throws(() => resolveContainer('ab', all), /multiple containers match/);
  assert.throws(() => resolveContainer('nope', all), /no such container: nope/);
});

test('k8s-file log lines, --tail, templates', () => {
  assert.deepEqual(parseLogLine('2024-01-01T00:00:00.1Z stdout F hello'), { time: '2024-01-01T00:00:00.1Z', stream: 'stdout', log: 'hello\n' });
  assert.deepEqual(parseLogLine('2024-01-01T00:00:00.1Z stderr P part'), { time: '2024-01-01T00:00:00.1Z', stream: 'stderr', log: 'part' });
  const e = parseLog('t stdout F a\nt stdout P b\nt stdout F c\nt stderr F d\n');
  assert.deepEqual(
    tailEntries(e, 2).map((x) => x.log),
    ['b', 'c\n', 'd\n'],
  );
  assert.deepEqual(tailEntries(e, 0), []);
  assert.equal(renderTemplate('{{.ID}}\\t{{.State.ExitCode}} {{json .L}}', { ID: 'x', State: { ExitCode: 3 }, L: ['a'] }), 'x\t3 ["a"]');
  assert.throws(() => renderTemplate('{{range .X}}', {}), /template parsing error: template: :1: unexpected EOF/);
});

test('networks: bridge by default, none, host, names; clear errors for the rest', () => {
  assert.deepEqual(planNetwork('', []), { mode: 'networks', names: ['hako'] });
  assert.deepEqual(planNetwork('bridge', []), { mode: 'networks', names: ['hako'] });
  assert.deepEqual(planNetwork('mynet', []), { mode: 'networks', names: ['mynet'] });
  assert.deepEqual(planNetwork('none', []), { mode: 'none', names: [] });
  assert.deepEqual(planNetwork('host', []), { mode: 'host', names: [] });
  assert.deepEqual(planNetwork('container:x', []), { mode: 'container', names: [], joined: { ref: 'x' } });
  assert.deepEqual(planNetwork('container:x', [], undefined, () => ({ id: 'abc', dir: '/d', running: true })).joined, {
    ref: 'x',
    id: 'abc',
    dir: '/d',
    running: true,
  });
  assert.throws(() => planNetwork('container:', []), /^HakoError: --network container:: names no container \(container:NAME\)$/);
  assert.throws(
    () => planNetwork('container:x', [{ hostIP: '', hostPort: 1, containerPort: 1, protocol: 'tcp' }]),
    /--publish: conflicts with --network container:x/,
  );
  assert.throws(() => planNetwork('host,mynet', []), /cannot be combined/);
  assert.throws(() => planNetwork('none', [{ hostIP: '', hostPort: 1, containerPort: 1, protocol: 'tcp' }]), /--publish/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-netplan-'));
  try {
    const store = new NetworkStore({ configDir: dir, ipamDir: path.join(dir, 'ipam'), hostRoutes: () => [] });
    assert.throws(() => planNetwork('nosuch', [], store), /^HakoError: --network nosuch: network not found/);
    assert.deepEqual(planNetwork('bridge', [], store).names, ['hako'], 'the default network exists before its file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-P maps image ExposedPorts to random ports on loopback', () => {
  assert.deepEqual(exposedMappings(['80/tcp', '53/udp', '8080']), [
    { hostIP: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' },
    { hostIP: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' },
    { hostIP: '127.0.0.1', hostPort: 0, containerPort: 8080, protocol: 'tcp' },
  ]);
  assert.throws(() => exposedMappings(['http']), /ExposedPorts: "http"/);
});

test("stop signal: --stop-signal, else the image's StopSignal, else none (SIGTERM at stop)", () => {
  assert.equal(stopSignalFor(undefined, { StopSignal: 'SIGQUIT' }), 'SIGQUIT');
  assert.equal(stopSignalFor('SIGUSR1', { StopSignal: 'SIGQUIT' }), 'SIGUSR1');
  assert.equal(stopSignalFor(undefined, {}), undefined);
  assert.throws(() => stopSignalFor(undefined, { StopSignal: 'SIGNOPE' }), /the image's StopSignal "SIGNOPE" is not a signal/);
  assert.equal(parseRunArgs(['--stop-signal', 'INT', 'img']).stopSignal, 'INT');
  assert.throws(() => parseRunArgs(['--stop-signal', 'NOPE', 'img']), /^HakoError: invalid argument "NOPE" for "--stop-signal" flag: unknown signal$/);
});

test('logs -t: times as docker prints them (UTC, Z, nine digits)', () => {
  assert.equal(dockerTime('2026-12-02T02:15:00.123456789+00:00'), '2026-12-02T02:15:00.123456789Z');
  assert.equal(dockerTime('2026-12-02T02:15:00.1234+00:00'), '2026-12-02T02:15:00.123400000Z');
  assert.equal(dockerTime('2026-12-02T03:15:00.5+01:00'), '2026-12-02T02:15:00.500000000Z');
  assert.equal(dockerTime('2026-12-02T02:15:00Z'), '2026-12-02T02:15:00.000000000Z');
  assert.equal(dockerTime('garbage'), 'garbage');
});
