// IPv6 arithmetic of the bridge driver's dual-stack networks (ipnet6.ts) and how a network's IPv6
// subnet is chosen (subnet6.ts): parsing, RFC 5952 output, subnets refused, the ULA pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  firstFreeSubnet6,
  formatCidr6,
  formatIPv6,
  hostRange6,
  isIPv6,
  overlaps6,
  parseCidr6,
  parseIPv6,
  readHostRoutes6,
  refuseSubnet6,
} from '../../../src/network/ipnet6.js';
import { DEFAULT_POOL6, planSubnet6 } from '../../../src/network/subnet6.js';

test('addresses: ::, embedded IPv4, leading zeros; printed as RFC 5952 (longest zero run, lower case)', () => {
  assert.equal(formatIPv6(parseIPv6('FD00:0001:0000:0000:0000:0000:0000:0002')), 'fd00:1::2');
  assert.equal(formatIPv6(parseIPv6('::')), '::');
  assert.equal(formatIPv6(parseIPv6('::1')), '::1');
  assert.equal(formatIPv6(parseIPv6('1:0:0:2:0:0:0:3')), '1:0:0:2::3', 'the longer run');
  assert.equal(formatIPv6(parseIPv6('1:0:2:3:4:5:6:7')), '1:0:2:3:4:5:6:7', 'a single zero group stays');
  assert.equal(formatIPv6(parseIPv6('::ffff:10.1.2.3')), '::ffff:a01:203');
  for (const bad of [
    '',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'fd00::g',
    '12345::',
    '10.0.0.1',
    '::1.2.3.256',
    'fd00::1%eth0',
    'x'.repeat(100),
  ]) {
    assert.equal(isIPv6(bad), false, bad);
  }
  assert.throws(() => parseIPv6('fd00::zz', '--ip6'), /^HakoError: --ip6: "fd00::zz" is not an IPv6 address$/);
});

test('subnets: host bits, prefix length, containment and overlap', () => {
  assert.equal(formatCidr6(parseCidr6('fd00:1::/64')), 'fd00:1::/64');
  assert.throws(() => parseCidr6('fd00:1::1/64'), /host bits set \(did you mean fd00:1::\/64\?\)/);
  for (const bad of ['fd00::/129', 'fd00::/', 'fd00::/-1', 'fd00::/64x', 'fd00::/9999', 'fd00::']) assert.throws(() => parseCidr6(bad), /subnet: /, bad);
  assert.ok(overlaps6(parseCidr6('fd00::/16'), parseCidr6('fd00:1::/64')));
  assert.ok(!overlaps6(parseCidr6('fd00:1::/64'), parseCidr6('fd00:2::/64')));
  assert.deepEqual(hostRange6(parseCidr6('fd00::/126')).map(formatIPv6), ['fd00::1', 'fd00::3']);
});

test('refused subnets: /127 and /128 (no room for a container), whole-space ones, special ranges', () => {
  assert.equal(refuseSubnet6(parseCidr6('fd00::/127')), 'too small (at most /126)');
  assert.equal(refuseSubnet6(parseCidr6('fd00::1/128')), 'too small (at most /126)');
  assert.equal(refuseSubnet6(parseCidr6('::/0')), 'too large (at least /8)');
  assert.match(refuseSubnet6(parseCidr6('fe80::/64'))!, /link-local/);
  assert.match(refuseSubnet6(parseCidr6('ff02::/16'))!, /multicast/);
  assert.match(refuseSubnet6(parseCidr6('::ffff:0:0/96'))!, /IPv4-mapped/);
  assert.match(refuseSubnet6(parseCidr6('::/8'))!, /loopback|unspecified/);
  assert.equal(refuseSubnet6(parseCidr6('fd00:1::/64')), undefined);
  assert.equal(refuseSubnet6(parseCidr6('2001:db8::/126')), undefined);
});

test('host routes from /proc/net/ipv6_route: lo, link-local, multicast and default routes left out', () => {
  const text = [
    'garbage line',
    'fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
    'fd001234000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
    '00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo',
    'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0',
  ].join('\n');
  assert.deepEqual(
    readHostRoutes6(text).map((r) => `${formatCidr6(r.cidr)} ${r.dev}`),
    ['fd00:1234::/64 eth0'],
  );
});

test('--ipv6 without an IPv6 subnet: the next free /64 of the ULA pool; given ones checked', () => {
  const none: { dev: string; cidr: ReturnType<typeof parseCidr6> }[] = [];
  assert.equal(DEFAULT_POOL6, 'fd68:616b:6f00::/48');
  assert.deepEqual(planSubnet6({}, [], none), { subnet6: 'fd68:616b:6f00::/64', gateway6: 'fd68:616b:6f00::1' });
  assert.deepEqual(
    planSubnet6({}, [{ name: 'a', subnet6: 'fd68:616b:6f00::/64' }], [{ dev: 'eth0', cidr: parseCidr6('fd68:616b:6f00:1::/64') }]).subnet6,
    'fd68:616b:6f00:2::/64',
  );
  assert.throws(
    () => planSubnet6({ subnet6: 'fd00:1::/80' }, [{ name: 'a', subnet6: 'fd00:1::/64' }], none),
    /^HakoError: subnet "fd00:1::\/80": overlaps network "a" \(fd00:1::\/64\)$/,
  );
  assert.throws(
    () => planSubnet6({ subnet6: 'fd00:1::/64' }, [], [{ dev: 'eth0', cidr: parseCidr6('fd00::/16') }]),
    /overlaps the host's route fd00::\/16 on eth0/,
  );
  assert.throws(() => planSubnet6({ subnet6: 'fd00:1::/127' }, [], none), /^HakoError: subnet "fd00:1::\/127": too small \(at most \/126\)$/);
  assert.throws(() => planSubnet6({ subnet6: 'fd00:1::/64', gateway6: 'fd00:2::1' }, [], none), /not a host address of subnet fd00:1::\/64/);
  assert.throws(() => planSubnet6({ gateway6: 'fd00:2::1' }, [], none), /needs an IPv6 --subnet/);
  assert.deepEqual(planSubnet6({ subnet6: 'fd00:1::/64', gateway6: 'fd00:1::fe' }, [], none), { subnet6: 'fd00:1::/64', gateway6: 'fd00:1::fe' });
  assert.equal(firstFreeSubnet6(parseCidr6('fd00::/64'), 64, [parseCidr6('fd00::/16')]), undefined, 'a full pool');
});
