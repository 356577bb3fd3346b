import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { imageConfigToSpec, mergeEnv, readFileInRoot, resolveUser } from '../../../src/image/config-to-spec.js';
import { defaultSpec } from '../../../src/runtime/spec/default.js';
import { HakoError } from '../../../src/util/errors.js';
import { tempDir } from './helpers.js';

function rootfs(t: { after(fn: () => void): void }): string {
  const r = tempDir(t, 'hako-c2s-');
  mkdirSync(join(r, 'etc'));
  writeFileSync(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n# comment\nwww:x:33:33::/var/www:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  writeFileSync(join(r, 'etc/group'), 'root:x:0:\nwww:x:33:\nalice:x:1000:\nwheel:x:10:alice,bob\naudio:x:29:alice\n');
  return r;
}

test('Entrypoint and Cmd combine like docker', () => {
  const base = defaultSpec();
  const img = { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'] };
  assert.deepEqual(imageConfigToSpec(img, base).process!.args, ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
  assert.deepEqual(imageConfigToSpec(img, base, { cmd: ['sh'] }).process!.args, ['/docker-entrypoint.sh', 'sh']);
  // --entrypoint drops the image's Cmd
  assert.deepEqual(imageConfigToSpec(img, base, { entrypoint: ['/bin/bash'] }).process!.args, ['/bin/bash']);
  assert.deepEqual(imageConfigToSpec(img, base, { entrypoint: ['/bin/bash'], cmd: ['-c', 'x'] }).process!.args, ['/bin/bash', '-c', 'x']);
  assert.deepEqual(imageConfigToSpec(img, base, { entrypoint: [''], cmd: ['ls'] }).process!.args, ['ls']);
  assert.deepEqual(imageConfigToSpec({ Cmd: ['sh'] }, base).process!.args, ['sh']);
  assert.deepEqual(imageConfigToSpec({ config: { Entrypoint: ['a'], Cmd: null } }, base).process!.args, ['a']);
  assert.throws(() => imageConfigToSpec({}, base), (e: unknown) => e instanceof HakoError && /no command/.test(e.message));
  assert.throws(() => imageConfigToSpec(img, base, { entrypoint: [''] }), /no command/);
});

test('Env merges by key: base < image < overrides', () => {
  const base = defaultSpec();
  const s = imageConfigToSpec({ Cmd: ['x'], Env: ['PATH=/img/bin', 'A=1', 'B=2'] }, base, { env: ['B=3', 'C=4'] });
  assert.deepEqual(s.process!.env, ['PATH=/img/bin', 'TERM=xterm', 'A=1', 'B=3', 'C=4']);
  process.env.HAKO_TEST_ENV = 'from-host';
  delete process.env.HAKO_TEST_UNSET;
  assert.deepEqual(mergeEnv(['A=1', 'X=y'], ['HAKO_TEST_ENV', 'HAKO_TEST_UNSET', 'X']), ['A=1', 'HAKO_TEST_ENV=from-host']);
  delete process.env.HAKO_TEST_ENV;
  assert.deepEqual(mergeEnv(['A=1=2'], ['B=']), ['A=1=2', 'B=']);
  assert.throws(() => mergeEnv(['=x']), /empty variable name/);
  assert.equal(base.process!.env!.includes('C=4'), false, 'the base spec is not modified');
});

test('WorkingDir defaults to / and must be absolute', () => {
  const base = defaultSpec();
  assert.equal(imageConfigToSpec({ Cmd: ['x'] }, base).process!.cwd, '/');
  assert.equal(imageConfigToSpec({ Cmd: ['x'], WorkingDir: '/app' }, base).process!.cwd, '/app');
  assert.equal(imageConfigToSpec({ Cmd: ['x'], WorkingDir: '/app' }, base, { workdir: '/srv' }).process!.cwd, '/srv');
  assert.throws(() => imageConfigToSpec({ Cmd: ['x'] }, base, { workdir: 'rel' }), /workdir "rel": must be an absolute path/);
  assert.throws(() => imageConfigToSpec({ Cmd: ['x'], WorkingDir: 'app' }, base), /WorkingDir "app"/);
});

test('User: numeric, names from the rootfs, groups, supplementary groups', (t) => {
  const r = rootfs(t);
  assert.deepEqual(resolveUser('', r), { uid: 0, gid: 0 });
  assert.deepEqual(resolveUser('1000', r), { uid: 1000, gid: 1000, additionalGids: [10, 29] });
  assert.deepEqual(resolveUser('4242', r), { uid: 4242, gid: 0 });
  assert.deepEqual(resolveUser('4242:77', undefined), { uid: 4242, gid: 77 });
  assert.deepEqual(resolveUser('www', r), { uid: 33, gid: 33 });
  assert.deepEqual(resolveUser('alice:wheel', r), { uid: 1000, gid: 10, additionalGids: [29] });
  assert.deepEqual(resolveUser('33:audio', r), { uid: 33, gid: 29 });
  assert.throws(() => resolveUser('nobody', r), /no user "nobody"/);
  assert.throws(() => resolveUser('alice:nogroup', r), /no group "nogroup"/);
  assert.throws(() => resolveUser('alice', undefined), /need the rootfs/);
  assert.throws(() => resolveUser('a:b:c', r), /expected user/);
  assert.throws(() => resolveUser('99999999999', r), /out of range/);
  const s = imageConfigToSpec({ Cmd: ['x'], User: 'www' }, defaultSpec(), {}, r);
  assert.deepEqual([s.process!.user.uid, s.process!.user.gid], [33, 33]);
  const o = imageConfigToSpec({ Cmd: ['x'], User: 'www' }, defaultSpec(), { user: 'alice' }, r);
  assert.deepEqual(o.process!.user, { uid: 1000, gid: 1000, additionalGids: [10, 29] });
});

test('/etc/passwd symlinks are resolved inside the rootfs, never on the host', (t) => {
  const r = tempDir(t, 'hako-c2s-');
  mkdirSync(join(r, 'etc'));
  mkdirSync(join(r, 'real'));
  writeFileSync(join(r, 'real/passwd'), 'inside:x:7:7::/:/bin/sh\n');
  symlinkSync('/real/passwd', join(r, 'etc/passwd')); // absolute: means <rootfs>/real/passwd
  symlinkSync('../../../../../../etc/hostname', join(r, 'etc/group')); // climbs to <rootfs>/etc/hostname: missing
  symlinkSync('loop', join(r, 'etc/loop'));
  assert.deepEqual(resolveUser('inside', r), { uid: 7, gid: 7 });
  assert.equal(readFileInRoot(r, '/etc/group'), null, 'the host /etc/hostname was not read');
  assert.throws(() => readFileInRoot(r, '/etc/loop'), /too many levels of symbolic links/);
  assert.throws(() => resolveUser('root', r), /no user "root"/, 'the host /etc/passwd was not read');
});

test('Labels, ExposedPorts, StopSignal and Volumes become annotations', () => {
  const base = defaultSpec();
  const s = imageConfigToSpec({
    Cmd: ['x'], Labels: { 'org.example.a': 'b' }, ExposedPorts: { '80/tcp': {}, '53/udp': {} }, StopSignal: 'SIGQUIT', Volumes: { '/data': {} },
  }, base);
  assert.deepEqual(s.annotations, {
    'org.example.a': 'b',
    'org.opencontainers.image.exposedPorts': '80/tcp,53/udp',
    'org.opencontainers.image.stopSignal': 'SIGQUIT',
    'io.hako.image.volumes': '/data',
  });
  assert.equal(imageConfigToSpec({ Cmd: ['x'] }, base).annotations, undefined);
});
