import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseRunArgs,
  parseBytes,
  parsePublish,
  parseVolume,
  parseMount,
  parseTmpfs,
  parseUlimit,
  parseDevice,
  parseRestart,
  parseEnv,
  readEnvFile,
  splitAtPositional,
  RUN_FLAGS,
} from '../../../src/engine/flags.js';
import { HakoError } from '../../../src/util/errors.js';

const err = (re: RegExp) => (e: unknown) => e instanceof HakoError && re.test(e.message) && !e.message.includes('\n');

test('flags stop at the image: the command keeps its own flags', () => {
  const o = parseRunArgs(['-it', '--rm', '-e', 'A=1', '--name', 'x', 'busybox', 'sh', '-c', 'echo -e hi']);
  assert.equal(o.image, 'busybox');
  assert.deepEqual(o.command, ['sh', '-c', 'echo -e hi']);
  assert.equal(o.interactive, true);
  assert.equal(o.tty, true);
  assert.equal(o.rm, true);
  assert.deepEqual(o.env, ['A=1']);
  assert.equal(o.name, 'x');
  assert.deepEqual(splitAtPositional(['-p', '80', '-d', 'img', '-p', '1'], RUN_FLAGS), { flags: ['-p', '80', '-d'], rest: ['img', '-p', '1'] });
  assert.deepEqual(splitAtPositional(['--name=a', 'img'], RUN_FLAGS).rest, ['img']);
  assert.deepEqual(splitAtPositional(['-dp', '80:80', 'img'], RUN_FLAGS).rest, ['img']);
});

test('unknown flags and bad values are one docker-like line', () => {
  assert.throws(() => parseRunArgs(['--bogus', 'img']), err(/^run: unknown flag: --bogus$/));
  assert.deepEqual(parseRunArgs(['img', '--bogus']).command, ['--bogus']);
  assert.throws(() => parseRunArgs(['--memory']), err(/flag needs an argument: --memory/));
  assert.throws(() => parseRunArgs(['-m', 'lots', 'img']), err(/invalid argument "lots" for "--memory" flag/));
  assert.throws(() => parseRunArgs(['-m', '1m', 'img']), err(/minimum memory limit is 6m/));
  assert.throws(() => parseRunArgs(['--cpus', '-1', 'img']), err(/--cpus/));
  assert.throws(() => parseRunArgs(['--cpus', '1000', 'img']), err(/CPUs available/));
  assert.throws(() => parseRunArgs(['--restart', 'sometimes', 'img']), err(/"--restart"/));
  assert.throws(() => parseRunArgs(['--rm', '--restart', 'always', 'img']), err(/cannot combine --restart and --rm/));
  assert.throws(() => parseRunArgs(['--cap-add', 'NOT_A_CAP', 'img']), err(/unknown capability/));
  assert.throws(() => parseRunArgs(['--name', 'bad name', 'img']), err(/"--name"/));
  assert.throws(
    () => parseRunArgs(['--pids-limit', '99999999999999999999', 'img']),
    err(/^invalid argument "99999999999999999999" for "--pids-limit" flag: value out of range$/),
  );
  assert.throws(
    () => parseRunArgs(['--name', 'x'.repeat(256), 'img']),
    err(/^invalid argument "x{80}…\(256 characters\)" for "--name" flag: 256 characters, at most 255$/),
  );
  assert.equal(parseRunArgs(['--name', 'x'.repeat(255), 'img']).name, 'x'.repeat(255));
  assert.throws(() => parseRunArgs(['--name', 'a\nb', 'img']), err(/^invalid argument "a\\nb" for "--name" flag/));
  assert.throws(() => parseRunArgs(['--security-opt', 'apparmor=x', 'img']), err(/--security-opt/));
  assert.throws(() => parseRunArgs(['--userns', 'remap', 'img']), err(/expected host, or keep-id/));
  assert.throws(() => parseRunArgs(['-w', 'rel', 'img']), err(/absolute/));
  assert.throws(() => parseRunArgs([]), err(/requires at least 1 argument/));
  assert.throws(() => parseRunArgs(['-v', '/a:/x', '--tmpfs', '/x', 'img']), err(/duplicate mount point: \/x/));
});

test('sizes use binary units like docker', () => {
  assert.equal(parseBytes('512m', 'memory'), 512 * 1024 * 1024);
  assert.equal(parseBytes('1g', 'memory'), 1024 ** 3);
  assert.equal(parseBytes('1.5k', 'memory'), 1536);
  assert.equal(parseBytes('100', 'memory'), 100);
  assert.equal(parseBytes('64MiB', 'memory'), 64 * 1024 * 1024);
});

test('resources and security flags', () => {
  const o = parseRunArgs([
    '-m',
    '64m',
    '--memory-swap',
    '-1',
    '--cpus',
    '0.5',
    '--cpu-shares',
    '512',
    '--pids-limit',
    '20',
    '--ulimit',
    'nofile=100:200',
    '--cap-add',
    'sys_admin',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--security-opt',
    'seccomp=unconfined',
    '--sysctl',
    'net.ipv4.ip_forward=1',
    '--label',
    'a=b',
    '--read-only',
    'img',
  ]);
  assert.equal(o.memory, 64 * 1024 * 1024);
  assert.equal(o.memorySwap, -1);
  assert.equal(o.cpus, 0.5);
  assert.equal(o.cpuShares, 512);
  assert.equal(o.pidsLimit, 20);
  assert.equal(parseRunArgs(['-m', '64m', '--memory-swap=-1', 'img']).memorySwap, -1);
  assert.deepEqual(o.ulimits, [{ name: 'nofile', soft: 100, hard: 200 }]);
  assert.deepEqual(o.capAdd, ['CAP_SYS_ADMIN']);
  assert.deepEqual(o.capDrop, ['ALL']);
  assert.equal(o.noNewPrivileges, true);
  assert.equal(o.seccomp, 'unconfined');
  assert.deepEqual(o.sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(o.labels, { a: 'b' });
  assert.equal(o.readOnly, true);
  assert.throws(() => parseRunArgs(['--memory-swap', '1g', 'img']), err(/needs --memory/));
  assert.throws(() => parseRunArgs(['-m', '1g', '--memory-swap', '512m', 'img']), err(/at least --memory/));
});

test('restart policies', () => {
  assert.deepEqual(parseRestart('no'), { name: 'no' });
  assert.deepEqual(parseRestart('always'), { name: 'always' });
  assert.deepEqual(parseRestart('on-failure'), { name: 'on-failure', maximumRetryCount: 0 });
  assert.deepEqual(parseRestart('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.throws(() => parseRestart('always:3'), err(/maximum retry count/));
  assert.throws(() => parseRestart('on-failure:x'), err(/integer/));
});

test('publish specs', () => {
  assert.deepEqual(parsePublish('8080:80'), { hostIP: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePublish('127.0.0.1:53:53/udp'), { hostIP: '127.0.0.1', hostPort: 53, containerPort: 53, protocol: 'udp' });
  assert.deepEqual(parsePublish('80'), { hostIP: '', hostPort: 0, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePublish('[::1]:8080:80'), { hostIP: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.throws(() => parsePublish('80/xdp'), err(/unknown protocol/));
  assert.throws(() => parsePublish('70000:80'), err(/out of range/));
  assert.throws(() => parsePublish('8000-8010:80'), err(/ranges/));
});

test('volumes, mounts, tmpfs', () => {
  assert.deepEqual(parseVolume('/host:/ctr:ro'), { type: 'bind', source: '/host', target: '/ctr', readOnly: true, options: [] });
  assert.deepEqual(parseVolume('data:/data'), { type: 'volume', source: 'data', target: '/data', readOnly: false, options: [] });
  assert.deepEqual(parseVolume('/anon'), { type: 'volume', source: '', target: '/anon', readOnly: false, options: [] });
  assert.throws(() => parseVolume('/a:rel'), err(/destination "rel" must be an absolute path/));
  assert.throws(() => parseVolume('/a:/b:bogus'), err(/unknown option "bogus"/));
  assert.throws(() => parseVolume('a:b:c:d'), err(/--volume/));
  assert.throws(() => parseVolume('bad name:/x'), err(/volume name/));
  assert.deepEqual(parseMount('type=bind,source=/a,target=/b,readonly'), { type: 'bind', source: '/a', target: '/b', readOnly: true, options: [] });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777'), {
    type: 'tmpfs',
    source: '',
    target: '/t',
    readOnly: false,
    options: ['size=1048576', 'mode=1777'],
  });
  assert.deepEqual(parseMount('src=v,target=/v'), { type: 'volume', source: 'v', target: '/v', readOnly: false, options: [] });
  assert.throws(() => parseMount('type=bind,source=rel,target=/b'), err(/absolute source/));
  assert.throws(() => parseMount('type=nfs,target=/b'), err(/type must be/));
  assert.throws(() => parseMount('type=bind,source=/a'), err(/target is required/));
  assert.throws(() => parseMount('type=bind,source=/a,target=/b,colour=red'), err(/unknown field "colour"/));
  assert.deepEqual(parseTmpfs('/run:size=1m,noexec'), { type: 'tmpfs', source: '', target: '/run', readOnly: false, options: ['size=1m', 'noexec'] });
});

test('ulimits, devices, env', () => {
  assert.deepEqual(parseUlimit('nproc=10'), { name: 'nproc', soft: 10, hard: 10 });
  assert.throws(() => parseUlimit('nofile=10:5'), err(/exceeds/));
  assert.throws(() => parseUlimit('bogus=1'), err(/unknown limit/));
  assert.deepEqual(parseDevice('/dev/fuse'), { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/a:/dev/b:r'), { host: '/dev/a', container: '/dev/b', permissions: 'r' });
  assert.deepEqual(parseDevice('/dev/a:rw'), { host: '/dev/a', container: '/dev/a', permissions: 'rw' });
  assert.equal(parseEnv('A=1'), 'A=1');
  assert.equal(parseEnv('HOME_X', { HOME_X: 'y' }), 'HOME_X=y');
  assert.equal(parseEnv('UNSET_X', {}), undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-envfile-'));
  try {
    const f = path.join(dir, 'env');
    fs.writeFileSync(f, '# comment\nA=1\n\nB=two words\nFROM_ENV\n');
    assert.deepEqual(readEnvFile(f, { FROM_ENV: 'z' }), ['A=1', 'B=two words', 'FROM_ENV=z']);
    assert.throws(() => readEnvFile(path.join(dir, 'missing')), err(/no such file/));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
