// Networks on temp dirs: conflist generation, subnet allocation, validation, users from leases.
// Bridges are never created here (no plugin runs); remove() finds no bridge of the made-up names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetworkStore, buildConfList, describeConfList, readHostRoutes, validateNetworkName, DEFAULT_NETWORK } from '../../../src/network/networks.js';
import { HostIpam } from '../../../src/network/driver/ipam.js';
import { firstFreeSubnet, formatCidr, parseCidr, overlaps, hostRange, formatIPv4, parseIPv4 } from '../../../src/network/ipnet.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-net-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
function store(routes: string[] = []): NetworkStore {
  const d = path.join(tmp, String(++seq));
  return new NetworkStore({
    configDir: path.join(d, 'conf'),
    ipamDir: path.join(d, 'ipam'),
    hostRoutes: () => routes.map((r) => ({ dev: 'eth0', cidr: parseCidr(r) })),
    // Nothing of the host's: its bridges and the host-wide plan belong to whatever else runs here.
    hostIpam: new HostIpam(path.join(d, 'run')),
    linkExists: () => false,
  });
}

test('the conflist of a network: bridge with host-local under our dataDir, portmap, firewall', () => {
  const l = buildConfList({ name: 'n1', bridge: 'hkx0', subnet: '10.250.3.0/24', gateway: '10.250.3.1', ipamDir: '/var/lib/x' });
  assert.equal(l.cniVersion, '1.0.0');
  assert.deepEqual(
    l.plugins.map((p) => p.type),
    ['bridge', 'portmap', 'firewall'],
  );
  assert.deepEqual(l.plugins[0], {
    type: 'bridge',
    bridge: 'hkx0',
    isGateway: true,
    ipMasq: true,
    hairpinMode: true,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.250.3.0/24', gateway: '10.250.3.1' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/var/lib/x' },
  });
  assert.deepEqual(l.plugins[1].capabilities, { portMappings: true });
  const info = describeConfList(l);
  assert.deepEqual([info.name, info.bridge, info.subnet, info.gateway], ['n1', 'hkx0', '10.250.3.0/24', '10.250.3.1']);
});

test("the default network exists before its file, is not podman's 10.88 and is written on first use", () => {
  const s = store();
  const [d] = s.list();
  assert.deepEqual([d.name, d.bridge, d.subnet, d.gateway, d.file], [DEFAULT_NETWORK, 'hako0', '10.89.0.0/24', '10.89.0.1', undefined]);
  assert.ok(!overlaps(parseCidr(d.subnet), parseCidr('10.88.0.0/16')));
  assert.equal(s.inspect('bridge').name, DEFAULT_NETWORK);
  s.confList('bridge');
  assert.ok(fs.existsSync(path.join(s.configDir, 'hako.conflist')));
  assert.equal(s.inspect('hako').file, path.join(s.configDir, 'hako.conflist'));
});

test('created networks get the next free /24, skipping other networks and host routes', () => {
  const s = store(['10.89.1.0/24', '10.89.3.0/25']);
  const a = s.create('a');
  const b = s.create('b');
  const c = s.create('c', { subnet: '10.250.9.0/24', gateway: '10.250.9.254', bridge: 'hktzz9' });
  assert.deepEqual([a.subnet, a.gateway, a.bridge], ['10.89.2.0/24', '10.89.2.1', 'hako1']);
  assert.deepEqual([b.subnet, b.bridge], ['10.89.4.0/24', 'hako2']);
  assert.deepEqual([c.subnet, c.gateway, c.bridge], ['10.250.9.0/24', '10.250.9.254', 'hktzz9']);
  assert.deepEqual(
    s.list().map((n) => n.name),
    ['hako', 'a', 'b', 'c'],
  );
  assert.deepEqual(JSON.parse(fs.readFileSync(c.file!, 'utf8')), c.conflist);
});

test('create refuses bad names, clashes and bad subnets with one clear line', () => {
  const s = store(['192.168.5.0/24']);
  s.create('x', { subnet: '10.250.1.0/24' });
  assert.throws(() => s.create('x'), /^HakoError: network "x" already exists$/);
  assert.throws(() => s.create('hako'), /already exists \(the default network\)/);
  assert.throws(() => s.create('none'), /network name "none": is reserved/);
  assert.throws(() => s.create('a/b'), /network name "a\/b": must be/);
  assert.throws(() => s.create('y', { subnet: '10.250.1.128/25' }), /subnet "10.250.1.128\/25": overlaps network "x" \(10.250.1.0\/24\)/);
  assert.throws(() => s.create('y', { subnet: '192.168.0.0/16' }), /overlaps the host's route 192.168.5.0\/24 on eth0/);
  assert.throws(() => s.create('y', { subnet: '10.250.2.1/24' }), /has host bits set \(did you mean 10.250.2.0\/24\?\)/);
  assert.throws(() => s.create('y', { subnet: 'fd00::/64' }), /only IPv4/);
  assert.throws(() => s.create('y', { subnet: '10.250.2.0/24', gateway: '10.250.3.1' }), /gateway "10.250.3.1": not a host address of subnet 10.250.2.0\/24/);
  assert.throws(() => s.create('y', { subnet: '10.250.2.0/24', gateway: '10.250.2.255' }), /not a host address/);
  assert.throws(() => s.create('y', { bridge: 'much-too-long-name' }), /bridge name "much-too-long-name"/);
  assert.throws(() => s.create('y', { gateway: '10.0.0.1' }), /gateway: needs a subnet/);
  assert.throws(() => s.inspect('nope'), /^HakoError: network "nope" not found$/);
});

test('the pool running out is an error, not an overlap', () => {
  const s = new NetworkStore({ configDir: path.join(tmp, 'p', 'c'), ipamDir: path.join(tmp, 'p', 'i'), pool: '10.89.0.0/23', hostRoutes: () => [] });
  s.create('one');
  assert.throws(() => s.create('two'), /no free subnet left in 10.89.0.0\/23/);
});

test('users of a --driver cni network come from host-local leases; remove refuses while there are any', async () => {
  const s = store();
  const n = s.create('used', { subnet: '10.250.4.0/24', bridge: 'hktnone0', driver: 'cni' });
  assert.equal(s.inspect('used').driver, 'cni');
  const leases = path.join(s.ipamDir, 'used');
  fs.mkdirSync(leases, { recursive: true });
  fs.writeFileSync(path.join(leases, '10.250.4.2'), 'ctr-a\r\neth0');
  fs.writeFileSync(path.join(leases, 'last_reserved_ip.0'), '10.250.4.2');
  fs.writeFileSync(path.join(leases, 'lock'), '');
  assert.deepEqual(s.users('used'), [{ containerId: 'ctr-a', ifName: 'eth0', ip: '10.250.4.2' }]);
  await assert.rejects(s.remove('used'), /^HakoError: network "used" is in use by ctr-a \(detach them first\)$/);
  fs.rmSync(path.join(leases, '10.250.4.2'));
  await s.remove('used');
  assert.ok(!fs.existsSync(n.file!));
  assert.ok(!fs.existsSync(leases));
  assert.throws(() => s.inspect('used'), /not found/);
});

test('a conflist whose name does not match its file is reported', () => {
  const s = store();
  fs.mkdirSync(s.configDir, { recursive: true });
  fs.writeFileSync(
    path.join(s.configDir, 'a.conflist'),
    JSON.stringify(buildConfList({ name: 'b', bridge: 'x', subnet: '10.250.0.0/24', gateway: '10.250.0.1', ipamDir: '/x' })),
  );
  assert.throws(() => s.list(), /a.conflist: name "b" does not match the file name/);
});

test('network name validation', () => {
  assert.equal(validateNetworkName('my_net-1.x'), 'my_net-1.x');
  assert.throws(() => validateNetworkName(''), /must be/);
  assert.throws(() => validateNetworkName('-x'), /must be/);
  assert.throws(() => validateNetworkName('host'), /reserved/);
});

test('/proc/net/route parsing (little-endian hex), default routes skipped', () => {
  const text =
    'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
    'br0\t0000590A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n';
  assert.deepEqual(
    readHostRoutes(text).map((r) => `${r.dev} ${formatCidr(r.cidr)}`),
    ['eth0 192.0.2.0/24', 'br0 10.89.0.0/16'],
  );
});

test('CIDR arithmetic', () => {
  assert.equal(formatIPv4(parseIPv4('255.1.2.3')), '255.1.2.3');
  assert.throws(() => parseIPv4('1.2.3.256'), /not an IPv4 address/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid prefix/);
  assert.throws(() => parseCidr('10.0.0.0'), /not a CIDR/);
  assert.deepEqual(hostRange(parseCidr('10.0.0.0/24')).map(formatIPv4), ['10.0.0.1', '10.0.0.254']);
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.5.0.0/16')));
  assert.ok(!overlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24')));
  const free = firstFreeSubnet(parseCidr('10.89.0.0/16'), 24, [parseCidr('10.89.0.0/23'), parseCidr('10.89.2.128/25')]);
  assert.equal(free && formatCidr(free), '10.89.3.0/24');
  assert.equal(firstFreeSubnet(parseCidr('10.89.0.0/24'), 24, [parseCidr('10.0.0.0/8')]), undefined);
});
