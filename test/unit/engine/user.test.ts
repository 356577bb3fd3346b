// `-u` and the image's User, resolved like docker against the image's own files.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFileInRoot, resolveUser } from '../../../src/engine/user.js';
import { isRoot, mknodIn, tempDir } from '../storage/helpers.js';

function rootfs(t: { after(fn: () => void): void }): string {
  const r = tempDir(t, 'hako-user-');
  mkdirSync(join(r, 'etc'));
  writeFileSync(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n# comment\nwww:x:33:33::/var/www:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  writeFileSync(join(r, 'etc/group'), 'root:x:0:\nwww:x:33:\nalice:x:1000:\nwheel:x:10:root,alice,bob\naudio:x:29:alice\n');
  return r;
}

test('numeric ids, names from the rootfs, groups; the primary gid leads the supplementary ones, as in docker', (t) => {
  const r = rootfs(t);
  assert.deepEqual(resolveUser('', r), { uid: 0, gid: 0, additionalGids: [0, 10] });
  assert.deepEqual(resolveUser('1000', r), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 29] });
  assert.deepEqual(resolveUser('4242', r), { uid: 4242, gid: 0, additionalGids: [0] });
  assert.deepEqual(resolveUser('4242:77', r), { uid: 4242, gid: 77, additionalGids: [77] });
  assert.deepEqual(resolveUser('www', r), { uid: 33, gid: 33, additionalGids: [33] });
  assert.deepEqual(resolveUser('alice:wheel', r), { uid: 1000, gid: 10, additionalGids: [10, 29] });
  assert.deepEqual(resolveUser('33:audio', r), { uid: 33, gid: 29, additionalGids: [29] });
  assert.throws(() => resolveUser('nobody', r), /^HakoError: unable to find user nobody: no matching entries in passwd file$/);
  assert.throws(() => resolveUser('alice:nogroup', r), /unable to find group nogroup: no matching entries in group file/);
  assert.throws(() => resolveUser('a:b:c', r), /expected user/);
  assert.throws(() => resolveUser('99999999999', r), /out of range/);
});

test('/etc/passwd symlinks are resolved inside the rootfs, never on the host', (t) => {
  const r = tempDir(t, 'hako-user-');
  mkdirSync(join(r, 'etc'));
  mkdirSync(join(r, 'real'));
  writeFileSync(join(r, 'real/passwd'), 'inside:x:7:7::/:/bin/sh\n');
  symlinkSync('/real/passwd', join(r, 'etc/passwd')); // absolute: means <rootfs>/real/passwd
  symlinkSync('../../../../../../etc/hostname', join(r, 'etc/group')); // climbs to <rootfs>/etc/hostname: missing
  symlinkSync('loop', join(r, 'etc/loop'));
  assert.deepEqual(resolveUser('inside', r), { uid: 7, gid: 7, additionalGids: [7] });
  assert.equal(readFileInRoot(r, '/etc/group'), null, 'the host /etc/hostname was not read');
  assert.throws(() => readFileInRoot(r, '/etc/loop'), /too many levels of symbolic links/);
  assert.throws(() => resolveUser('root', r), /unable to find user root/, 'the host /etc/passwd was not read');
});

test('a FIFO or a device as /etc/passwd is not read (it would hang the engine or never end)', { skip: !isRoot && 'needs root (mknod)' }, async (t) => {
  const r = tempDir(t, 'hako-user-');
  mkdirSync(join(r, 'etc'));
  await mknodIn(r, [
    { path: 'etc/passwd', kind: 'fifo', mode: 0o644 },
    { path: 'etc/group', kind: 'char', mode: 0o644, major: 1, minor: 5 }, // /dev/zero
  ]);
  assert.equal(readFileInRoot(r, '/etc/passwd'), null);
  assert.equal(readFileInRoot(r, '/etc/group'), null);
  assert.deepEqual(resolveUser('1000', r), { uid: 1000, gid: 0, additionalGids: [0] });
});
