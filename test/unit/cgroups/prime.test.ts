// The no-op migration that lets the kernel's RCU grace period pass early (src/cgroups/prime.ts):
// which file it writes, on a fake tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ownProcsFile, primeCgroupMigration } from '../../../src/cgroups/prime.js';
import { FakeCgroup1 } from './fakefs.js';

test('v2: our own cgroup from the "0::" line', () => {
  assert.equal(
    ownProcsFile('/sys/fs/cgroup', '0::/user.slice/user-0.slice/session-1.scope\n', true),
    '/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope/cgroup.procs',
  );
  assert.equal(ownProcsFile('/sys/fs/cgroup', '', true), undefined);
});

test('v1: our own cgroup in a mounted hierarchy, combined controllers matched as a set', (t) => {
  const fake = new FakeCgroup1();
  t.after(() => fake.cleanup());
  const self = '12:rdma:/\n4:cpuacct,cpu:/system.slice/x.service\n0::/\n';
  assert.equal(ownProcsFile(fake.root, self, false), `${fake.root}/cpu,cpuacct/system.slice/x.service/cgroup.procs`);
  assert.equal(ownProcsFile(fake.root, '0::/\n', false), undefined);
});

test('writes our pid into our own cgroup, and never fails', async (t) => {
  const fake = new FakeCgroup1();
  t.after(() => fake.cleanup());
  await primeCgroupMigration(fake.root, false, '5:pids:/\n');
  assert.equal(fs.readFileSync(`${fake.root}/pids/cgroup.procs`, 'utf8'), String(process.pid));
  await primeCgroupMigration(fake.root, false, '5:pids:/missing/dir\n');
  await primeCgroupMigration(fake.root, true, 'garbage');
});
