// Mounts: the default ones, masked and read-only paths, config mounts in order, and mount
// targets kept inside the rootfs.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('mounts', () => {
  it('masks and makes read-only what the config says', () => {
    assert.ok(fs.readFileSync('/proc/keys', 'utf8').length > 0, 'the host shows /proc/keys: masking it is visible');
    const r = h.run([
      'sh',
      '-c',
      [
        'wc -c < /proc/keys',
        'ls /sys/firmware | wc -l',
        'echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo readonly',
        'touch /newfile 2>/dev/null && echo rootfs-writable || echo rootfs-readonly',
        'touch /dev/shm/x && echo shm-writable',
      ].join('; '),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '0', 'readonly', 'rootfs-readonly', 'shm-writable']);
  });

  it('mounts /proc, /dev with devices and symlinks, /dev/pts, /dev/shm, /dev/mqueue, /sys', () => {
    const r = h.run(['sh', '-c', 'cat /proc/self/mounts; ls -l /dev; echo hi > /dev/null; head -c 4 /dev/zero | wc -c']);
    assert.equal(r.status, 0, r.stderr);
    const mounts = r.stdout
      .split('\n')
      .filter((l) => / \/\S* \w+ /.test(l) && !l.startsWith('total'))
      .map((l) => l.split(' '));
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
      const r = h.run(
        [
          'sh',
          '-c',
          'cat /data/file; touch /data/new 2>/dev/null || echo ro; grep " /scratch " /proc/self/mounts; grep -c " /scratch/inner " /proc/self/mounts',
        ],
        (s) => {
          s.mounts!.push({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'ro', 'nosuid'] });
          s.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=700', 'noexec'] });
          s.mounts!.push({ destination: '/scratch/inner', type: 'tmpfs', source: 'tmpfs', options: [] });
        },
      );
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
});
