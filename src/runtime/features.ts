// `hako runtime features`: what this build of hako supports, in the OCI features.md format.
// Every entry is something the runtime really does; what it refuses is left out (so an engine can
// decide before asking), e.g. id-mapped mounts, the systemd cgroup driver, Intel RDT.
import fs from 'node:fs';
import { OCI_VERSION } from '../oci/default.js';
import { CAPABILITIES, lastCap, MOUNT_FLAG_OPTIONS, PROPAGATION_OPTIONS, REC_ATTR_OPTIONS } from '../oci/names.js';
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPS } from './seccomp/index.js';

const MOUNT_OPTIONS = [...Object.keys(MOUNT_FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(REC_ATTR_OPTIONS), 'tmpcopyup', 'notmpcopyup'];

export function hostHasAppArmor(): boolean {
  try {
    return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

export function hostHasSELinux(): boolean {
  return fs.existsSync('/sys/fs/selinux/enforce');
}

export function features(): object {
  const last = lastCap();
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...new Set(MOUNT_OPTIONS)].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: Object.entries(CAPABILITIES)
        .filter(([, bit]) => bit <= last)
        .map(([name]) => name),
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: Object.keys(SECCOMP_ACTIONS),
        operators: Object.keys(SECCOMP_OPS),
        archs: Object.keys(SECCOMP_ARCHES),
        knownFlags: Object.keys(SECCOMP_FLAGS),
        supportedFlags: Object.keys(SECCOMP_FLAGS).filter((f) => f !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'),
      },
      apparmor: { enabled: hostHasAppArmor() },
      selinux: { enabled: hostHasSELinux() },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: {
      'org.opencontainers.runtime-spec.features.hako.version': '0.1.0',
      'org.opencontainers.runtime-spec.features.hako.plan': 'config.json is compiled to a plan run by native/hako-init',
    },
  };
}
