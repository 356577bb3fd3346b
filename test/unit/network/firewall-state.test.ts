// The firewall's wanted state is derived from the host-wide plans on every batch (driver/bridge.ts
// firewallState): a plan whose bridge is gone and that has no live lease (a network removed without
// `network rm`, a crash between deleting the bridge and the plan) is dropped, so its subnet leaves
// the firewall; plans of existing bridges, or with live leases, stay.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostIpam } from '../../../src/network/driver/ipam.js';
import { firewallState } from '../../../src/network/driver/bridge.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-fwstate-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('stale plans are reconciled away; live ones give the subnets (IPv4 and IPv6)', () => {
  const ipam = new HostIpam(path.join(tmp, 'run'));
  const pin = path.join(tmp, 'pin');
  fs.writeFileSync(pin, '');
  const plan = (bridge: string, subnet: string, leases: Record<string, { container: string; ifName: string; netns: string }> = {}, v6?: string) => ({
    version: v6 ? 2 : 1,
    bridge,
    subnet,
    gateway: subnet.replace(/0\/\d+$/, '1'),
    ready: true,
    leases,
    ...(v6 ? { subnet6: v6, gateway6: v6.replace(/\/\d+$/, '1'), leases6: {} } : {}),
  });
  const gone = 'hkgone9x'; // no such device here
  ipam.locked(() => {
    ipam.write(plan('lo', '10.250.1.0/24', {}, 'fd00:1::/64')); // a device that exists (stands in for a bridge)
    ipam.write(plan(gone, '10.250.2.0/24')); // removed network: no bridge, no lease
    ipam.write(plan(`${gone}l`, '10.250.3.0/24', { '10.250.3.2': { container: 'c', ifName: 'eth0', netns: pin } })); // live lease: kept
    ipam.write(plan(`${gone}d`, '10.250.4.0/24', { '10.250.4.2': { container: 'd', ifName: 'eth0', netns: path.join(tmp, 'no-pin') } })); // dead lease only
  });
  const st = ipam.locked(() => firewallState(ipam));
  assert.deepEqual(st.subnets.sort(), ['10.250.1.0/24', '10.250.3.0/24']);
  assert.deepEqual(st.subnets6, ['fd00:1::/64']);
  assert.equal(ipam.read(gone), undefined, 'the stale plan file is deleted');
  assert.equal(ipam.read(`${gone}d`), undefined);
  assert.ok(ipam.read(`${gone}l`));
});
