// linux.resources.devices[].access as runc 1.1 reads it: only r, w and m count, repeated or in any
// order ("rwa" is "rw", "mwr" is "rwm"); an empty or missing access is refused, and so is an allow
// that allows nothing ("RW"). Each case runs under hako and, in the same test, under runc with the
// same bundle; the container reports which opens of a device node the device cgroup (v1) or eBPF
// filter (v2) let through. (On v2, runc 1.1 silently drops an allow that allows nothing where its
// v1 driver refuses it; hako refuses it on both.)
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, NO_RUNC, RUNC, type Result } from './harness.js';
import type { DeviceCgroup, Spec } from '../../../src/oci/types.js';

const h = new Harness();
after(() => h.cleanup());
const V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

// /dev/fuse (10:229) is not among runc's default allowed devices. The node is made from
// linux.devices, so the host needs neither the node nor the module: without the module an allowed
// open fails with another error (ENODEV), a denied one always with EPERM.
const FUSE = { type: 'c' as const, path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666 };
const PROBE = 'for m in "<" ">"; do o=$( (eval "exec 3$m/dev/fuse") 2>&1); case "$o" in *"not permitted"*) printf -;; *) printf "%s" "$m";; esac; done; echo';

/** The device rule under test, after the default deny-all (access undefined: the field is left out). */
function withRule(access: string | undefined): (s: Spec) => void {
  return (s) => {
    s.linux!.devices = [FUSE];
    const rule: DeviceCgroup = { allow: true, type: 'c', major: 10, minor: 229 };
    if (access !== undefined) rule.access = access;
    s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, rule] };
  };
}

function runBoth(access: string | undefined): { hako: Result; runc?: Result } {
  const bundle = h.bundle(['sh', '-c', PROBE], withRule(access));
  const hako = h.hako(['run', '--bundle', bundle, h.id()]);
  const runc = RUNC ? h.runc(['run', '--bundle', bundle, h.id('runc')]) : undefined;
  return { hako, runc };
}

describe('device rule access as runc reads it', () => {
  // What runc 1.1.5 gives on this kind of host: "<" a read open passed, ">" a write open passed.
  const accepted: [string, string][] = [
    ['rwa', '<>'],
    ['rrw', '<>'],
    ['wr', '<>'],
    ['r w', '<>'],
    ['rwx', '<>'],
    ['mwr', '<>'],
    ['ra', '<-'],
    ['aw', '->'],
    ['m', '--'],
  ];
  for (const [access, want] of accepted) {
    it(`access "${access}" allows ${want}, as with runc`, (t) => {
      const { hako, runc } = runBoth(access);
      assert.equal(hako.status, 0, hako.stderr);
      assert.equal(hako.stdout, `${want}\n`);
      if (!runc) return t.diagnostic(NO_RUNC);
      assert.equal(runc.status, 0, runc.stderr);
      assert.equal(hako.stdout, runc.stdout, 'the same opens pass under runc');
    });
  }

  const refused: [string | undefined, RegExp][] = [
    ['', /^hako: config\.json: linux\.resources\.devices\[1\]\.access: must not be empty \(some of r, w and m\), as runc requires\n$/],
    [undefined, /^hako: config\.json: linux\.resources\.devices\[1\]\.access: missing\n$/],
    ['RW', /^hako: cgroup devices: access 'RW' of rule "c 10:229 " has none of r, w and m \(linux\.resources\.devices\)\n$/],
    ['a', /^hako: cgroup devices: access 'a' of rule "c 10:229 " has none of r, w and m/],
  ];
  for (const [access, want] of refused) {
    it(`access ${access === undefined ? 'left out' : `"${access}"`} is refused in one line naming the field, as runc refuses it`, (t) => {
      const { hako, runc } = runBoth(access);
      assert.equal(hako.status, 1, hako.stdout);
      assert.match(hako.stderr, want);
      assert.equal(hako.stdout, '', 'the container did not run');
      if (!runc) return t.diagnostic(NO_RUNC);
      if (access !== undefined && access !== '' && V2) {
        // runc's eBPF path drops such a rule silently: the container runs with nothing allowed.
        assert.equal(runc.stdout, '--\n', runc.stderr);
        return;
      }
      assert.notEqual(runc.status, 0, `runc refuses it too: ${runc.stdout}`);
      assert.equal(runc.stdout, '');
    });
  }
});
