// `features` tells the truth, and what hako does not do is refused clearly, not ignored.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('features and honest refusals', () => {
  it('prints the OCI features document', () => {
    const r = h.hako(['features']);
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(r.stdout);
    assert.equal(f.ociVersionMax, '1.2.0');
    assert.deepEqual(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    assert.deepEqual(f.linux.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    assert.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN'));
    assert.equal(f.linux.seccomp.enabled, true);
    assert.ok(f.linux.seccomp.actions.includes('SCMP_ACT_ERRNO'));
    assert.ok(f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY'));
    assert.deepEqual(f.linux.cgroup, { v1: true, v2: true, systemd: true, systemdUser: false, rdma: false });
    assert.equal(f.linux.mountExtensions.idmap.enabled, false);
    assert.ok(f.mountOptions.includes('rbind') && f.mountOptions.includes('rslave'));
  });

  it('an AppArmor profile or SELinux label on a host without them is a clear error', () => {
    const apparmor =
      fs.existsSync('/sys/module/apparmor/parameters/enabled') && fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    if (!apparmor) {
      const r = h.run(['true'], (s) => {
        s.process!.apparmorProfile = 'docker-default';
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /^hako: config\.json: process\.apparmorProfile: "docker-default" asked for, but AppArmor is not enabled on this host/);
    }
    if (!fs.existsSync('/sys/fs/selinux/enforce')) {
      const r = h.run(['true'], (s) => {
        s.process!.selinuxLabel = 'system_u:system_r:container_t:s0';
      });
      assert.match(r.stderr, /process\.selinuxLabel: .* SELinux is not enabled on this host/);
    }
  });

  it('id-mapped mounts are refused, not ignored; notify on sendmsg (our own hand-over) too', () => {
    let r = h.run(['true'], (s) => {
      s.mounts!.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['rbind', 'idmap'] });
    });
    assert.match(r.stderr, /mounts\[7\]\.options: id-mapped mounts are not supported yet/);
    r = h.run(['true'], (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/tmp/l.sock', syscalls: [{ names: ['sendmsg'], action: 'SCMP_ACT_NOTIFY' }] };
    });
    assert.match(r.stderr, /linux\.seccomp\.syscalls\[0\]\.names\[0\]: SCMP_ACT_NOTIFY cannot be used for "sendmsg"/);
  });
});
