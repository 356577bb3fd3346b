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
  assert.throws(() => ipam.ports(), /ports\.json: hako network file format version 9 is newer than this hako reads \(2\)/);
});

const NET6 = { ...NET, bridge: 'hkt6', subnet6: 'fd00:9::/125', gateway6: 'fd00:9::1' };

test('dual stack: an IPv6 lease beside the IPv4 one, round-robin too; released together', () => {
  const ipam = fresh();
  const take = (c: string, want?: { ip?: string; ip6?: string }) =>
    ipam.locked(() => {
      const plan = ipam.plan(NET6);
      const lease = { container: c, ifName: 'eth0', netns: pin(c), name: `name-${c}` };
      const ip = ipam.allocate(plan, lease, want?.ip);
      const ip6 = ipam.allocate6(plan, lease, want?.ip6);
      ipam.write(plan);
      return [ip, ip6];
    });
  assert.deepEqual(take('a'), ['10.250.9.2', 'fd00:9::2']);
  assert.deepEqual(take('b', { ip: '10.250.9.6', ip6: 'FD00:9:0::7' }), ['10.250.9.6', 'fd00:9::7'], 'the wanted ones, normalised');
  assert.deepEqual(take('c'), ['10.250.9.3', 'fd00:9::3'], 'after the last leased, wrapping past the gateway and the taken ones');
  assert.deepEqual(
    ipam.leases('hkt6').map((l) => `${l.ip} ${l.ip6} ${l.lease.container}`),
    ['10.250.9.2 fd00:9::2 a', '10.250.9.6 fd00:9::7 b', '10.250.9.3 fd00:9::3 c'],
  );
  const file = JSON.parse(fs.readFileSync(path.join(ipam.dir, 'hkt6.json'), 'utf8'));
  assert.equal(file.version, 2, 'a plan with IPv6 is version 2');
  ipam.locked(() => ipam.release('hkt6', 'b', 'eth0'));
  assert.deepEqual(Object.keys(ipam.read('hkt6')!.leases6!).sort(), ['fd00:9::2', 'fd00:9::3']);
});

test('--ip/--ip6: a taken address names its holder; outside the subnet, the gateway, the broadcast refused', () => {
  const ipam = fresh();
  const take = (c: string, ip?: string, ip6?: string) =>
    ipam.locked(() => {
      const plan = ipam.plan(NET6);
      const lease = { container: c, ifName: 'eth0', netns: pin(c), name: `name-${c}` };
      ipam.allocate(plan, lease, ip);
      ipam.allocate6(plan, lease, ip6);
      ipam.write(plan);
    });
  take('a', '10.250.9.3', 'fd00:9::3');
  assert.throws(() => take('b', '10.250.9.3'), /^HakoError: --ip 10\.250\.9\.3: address already in use by container name-a$/);
  assert.throws(() => take('b', undefined, 'fd00:9::3'), /^HakoError: --ip6 fd00:9::3: address already in use by container name-a$/);
  assert.throws(() => take('b', '10.250.10.3'), /--ip 10\.250\.10\.3: not a host address of the network's subnet 10\.250\.9\.0\/29/);
  assert.throws(() => take('b', '10.250.9.7'), /not a host address/, 'the broadcast address');
  assert.throws(() => take('b', '10.250.9.1'), /--ip 10\.250\.9\.1: is the network's gateway/);
  assert.throws(() => take('b', undefined, 'fd00:9::'), /not a host address/, 'the subnet-router anycast address');
  assert.throws(() => take('b', undefined, 'fd00:9::1'), /is the network's gateway/);
  take('a', '10.250.9.4'); // the same container again: its old lease is dropped first
  assert.deepEqual(Object.keys(ipam.read('hkt6')!.leases), ['10.250.9.4']);
  const v4 = fresh();
  v4.locked(() => {
    const plan = v4.plan(NET);
    assert.throws(() => v4.allocate6(plan, { container: 'x', ifName: 'eth0', netns: pin('x') }, 'fd00::5'), /--ip6 fd00::5: the network has no IPv6 subnet/);
    assert.equal(v4.allocate6(plan, { container: 'x', ifName: 'eth0', netns: pin('x') }), undefined);
  });
});

test('a version 1 plan (IPv4 only, as older hakos write it) is read, and stays version 1', () => {
  const ipam = fresh();
  fs.mkdirSync(ipam.dir, { recursive: true });
  const v1 = {
    version: 1,
    bridge: 'hkt0',
    subnet: NET.subnet,
    gateway: NET.gateway,
    ready: true,
    leases: { '10.250.9.2': { container: 'old', ifName: 'eth0', netns: pin('old') } },
  };
  fs.writeFileSync(path.join(ipam.dir, 'hkt0.json'), JSON.stringify(v1));
  ipam.locked(() => {
    const plan = ipam.plan(NET);
    assert.equal(ipam.allocate(plan, { container: 'new', ifName: 'eth0', netns: pin('new') }), '10.250.9.3');
    ipam.write(plan);
  });
  assert.equal(JSON.parse(fs.readFileSync(path.join(ipam.dir, 'hkt0.json'), 'utf8')).version, 1);
  ipam.locked(() => ipam.writePorts({ 'tcp/0.0.0.0/80': { container: 'new', netns: pin('new'), ip: '10.250.9.3', port: 80 } }));
  assert.equal(JSON.parse(fs.readFileSync(path.join(ipam.dir, 'ports.json'), 'utf8')).version, 1);
  ipam.locked(() => ipam.writePorts({ 'tcp/::/80': { container: 'new', netns: pin('new'), ip: '', ip6: 'fd00:9::2', port: 80 } }));
  assert.equal(JSON.parse(fs.readFileSync(path.join(ipam.dir, 'ports.json'), 'utf8')).version, 2);
});
