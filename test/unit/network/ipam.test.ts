// The host-wide address plan (driver/ipam.ts) in a temporary directory: allocation, the release and
// round-robin reuse, stale leases and ports reclaimed, a bridge claimed with another subnet refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostIpam } from '../../../src/network/driver/ipam.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-ipam-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => new HostIpam(path.join(tmp, String(++n)));
/** A file standing in for a pinned namespace: the lease lives while it exists. */
function pin(name: string): string {
  const p = path.join(tmp, `pin-${name}`);
  fs.writeFileSync(p, '');
  return p;
}
const NET = { bridge: 'hkt0', subnet: '10.250.9.0/29', gateway: '10.250.9.1' };

test('addresses: gateway skipped, lowest first, then after the last one (no immediate reuse)', () => {
  const ipam = fresh();
  const take = (c: string) =>
    ipam.locked(() => {
      const plan = ipam.plan(NET);
      const ip = ipam.allocate(plan, { container: c, ifName: 'eth0', netns: pin(c) });
      ipam.write(plan);
      return ip;
    });
  assert.equal(take('a'), '10.250.9.2');
  assert.equal(take('b'), '10.250.9.3');
  ipam.locked(() => ipam.release('hkt0', 'a', 'eth0'));
  assert.equal(take('c'), '10.250.9.4', 'a released address is not the next one handed out');
  assert.deepEqual(
    ipam.leases('hkt0').map((l) => [l.ip, l.lease.container]),
    [
      ['10.250.9.3', 'b'],
      ['10.250.9.4', 'c'],
    ],
  );
  take('d');
  take('e');
  assert.equal(take('f'), '10.250.9.2', 'wraps around to the freed one');
  assert.throws(() => take('g'), /^HakoError: no IP addresses available in 10\.250\.9\.0\/29 \(bridge hkt0\)$/);
  fs.rmSync(path.join(tmp, 'pin-e'));
  assert.equal(take('g'), '10.250.9.6', 'the lease of a container whose namespace is gone is reclaimed');
  const file = JSON.parse(fs.readFileSync(path.join(ipam.dir, 'hkt0.json'), 'utf8'));
  assert.deepEqual(Object.keys(file).sort(), ['bridge', 'gateway', 'last', 'leases', 'ready', 'subnet', 'version']);
});

test('a bridge with live leases in another subnet is refused; without them it is taken over', () => {
  const ipam = fresh();
  ipam.locked(() => {
    const plan = ipam.plan(NET);
    ipam.allocate(plan, { container: 'x', ifName: 'eth0', netns: pin('x') });
    ipam.write(plan);
  });
  assert.throws(
    () => ipam.plan({ ...NET, subnet: '10.250.10.0/24', gateway: '10.250.10.1' }),
    /^HakoError: bridge "hkt0": in use with subnet 10\.250\.9\.0\/29 \(gateway 10\.250\.9\.1\), not 10\.250\.10\.0\/24/,
  );
  fs.rmSync(path.join(tmp, 'pin-x'));
  assert.equal(ipam.plan({ ...NET, subnet: '10.250.10.0/24', gateway: '10.250.10.1' }).subnet, '10.250.10.0/24');
});

test('ports: those of containers that are gone are reported stale and left out', () => {
  const ipam = fresh();
  ipam.locked(() =>
    ipam.writePorts({
      'tcp/127.0.0.1/80': { container: 'live', netns: pin('live'), ip: '10.250.9.2', port: 80 },
      'tcp/0.0.0.0/81': { container: 'dead', netns: path.join(tmp, 'no-such-pin'), ip: '10.250.9.3', port: 80 },
    }),
  );
  const { ports, stale } = ipam.portsWithStale();
  assert.deepEqual(Object.keys(ports), ['tcp/127.0.0.1/80']);
  assert.equal(stale, true);
  fs.writeFileSync(path.join(ipam.dir, 'ports.json'), '{"version":9}');
  assert.throws(() => ipam.ports(), /ports\.json: hako network file format version 9 is newer than this hako reads \(1\)/);
});
