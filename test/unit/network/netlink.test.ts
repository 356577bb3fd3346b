// The rtnetlink encoder against known byte layouts (<linux/netlink.h>, <linux/rtnetlink.h>, and the
// bytes iproute2 sends for the same request), and the decoder of the kernel's answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeAttrs,
  decodeMessages,
  encodeAttrs,
  ifinfomsg,
  nlmsg,
  str,
  u32,
  IFLA,
  IFLA_INFO,
  NLA_F_NESTED,
  RTM,
  VETH_INFO_PEER,
} from '../../../src/network/netlink/codec.js';
import { defaultRoute, defaultRoute6, delLink, hairpin, newAddr, newAddr6, newBridge, newVeth, NETNS_FD } from '../../../src/network/netlink/rtnl.js';

const hex = (b: Buffer) => b.toString('hex');

test('rtattr: length without padding, payload padded to 4, nested flag on lists', () => {
  assert.equal(hex(encodeAttrs([{ type: IFLA.IFNAME, value: str('eth0') }])), '0900030065746830000000' + '00');
  assert.equal(hex(encodeAttrs([{ type: IFLA.MASTER, value: u32(7) }])), '08000a0007000000');
  const nested = encodeAttrs([{ type: IFLA.LINKINFO, value: [{ type: IFLA_INFO.KIND, value: str('veth') }] }]);
  assert.equal(
    hex(nested),
    '1000' +
      (IFLA.LINKINFO | NLA_F_NESTED)
        .toString(16)
        .padStart(4, '0')
        .replace(/(..)(..)/, '$2$1') +
      '090001007665746800000000',
  );
  assert.deepEqual(
    decodeAttrs(nested).map((a) => a.type),
    [IFLA.LINKINFO],
  );
  assert.deepEqual(
    decodeAttrs(decodeAttrs(nested)[0].value).map((a) => [a.type, a.value.toString()]),
    [[IFLA_INFO.KIND, 'veth\0']],
  );
});

test('nlmsghdr + ifaddrmsg + attributes: RTM_NEWADDR byte for byte', () => {
  const m = newAddr('ns', 2, '10.0.0.2', 24, '10.0.0.255', 'eth0').build(7);
  assert.equal(
    hex(m),
    [
      '30000000',
      '1400',
      '0506',
      '07000000',
      '00000000', // len 48, RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, seq 7, port 0
      '02',
      '18',
      '00',
      '00',
      '02000000', // AF_INET, /24, flags, scope, ifindex 2
      '08000200',
      '0a000002',
      '08000100',
      '0a000002',
      '08000400',
      '0a0000ff', // IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST
    ].join(''),
  );
});

test('RTM_NEWROUTE: the default route via a gateway, main table, boot protocol', () => {
  const m = defaultRoute('10.89.0.1').build(1);
  assert.equal(hex(m.subarray(16, 28)), '020000' + '00' + 'fe' + '03' + '00' + '01' + '00000000');
  assert.equal(hex(m.subarray(28)), '080005000a590001');
  assert.equal(m.readUInt32LE(0), m.length);
});

test('veth with its peer in the container namespace: the layout iproute2 uses', () => {
  const m = newVeth({ hostName: 'vethx', hostIndex: 1234567, master: 5, peerName: 'eth0', peerIndex: 2, peerMac: '02:42:0a:fa:63:02' }).build(9);
  const [msg] = decodeMessages(m);
  assert.equal(msg.type, RTM.NEWLINK);
  assert.equal(msg.flags, 0x605);
  assert.equal(hex(msg.payload.subarray(0, 16)), hex(ifinfomsg({ index: 1234567, flags: 1, change: 1 })));
  const attrs = decodeAttrs(msg.payload.subarray(16));
  assert.deepEqual(
    attrs.map((a) => a.type),
    [IFLA.IFNAME, IFLA.MASTER, IFLA.LINKINFO],
  );
  assert.equal(attrs[1].value.readUInt32LE(0), 5);
  const info = decodeAttrs(attrs[2].value);
  assert.deepEqual(
    info.map((a) => [a.type, a.type === IFLA_INFO.KIND ? a.value.toString() : '']),
    [
      [IFLA_INFO.KIND, 'veth\0'],
      [IFLA_INFO.DATA, ''],
    ],
  );
  const [peer] = decodeAttrs(info[1].value);
  assert.equal(peer.type, VETH_INFO_PEER);
  // VETH_INFO_PEER: an ifinfomsg (requested index 2, not up: veth_open of a half-made pair is ENOTCONN), then attributes.
  assert.equal(hex(peer.value.subarray(0, 16)), hex(ifinfomsg({ index: 2 })));
  const peerAttrs = decodeAttrs(peer.value.subarray(16));
  assert.deepEqual(
    peerAttrs.map((a) => a.type),
    [IFLA.IFNAME, IFLA.ADDRESS, IFLA.NET_NS_FD],
  );
  assert.equal(hex(peerAttrs[1].value), '02420afa6302');
  assert.equal(peerAttrs[2].value.readUInt32LE(0), NETNS_FD);
});

test('bridge, hairpin and delete requests', () => {
  const br = decodeMessages(newBridge('hako0', '02:42:0a:59:00:01').build(1))[0];
  assert.deepEqual(
    decodeAttrs(br.payload.subarray(16)).map((a) => a.type),
    [IFLA.IFNAME, IFLA.ADDRESS, IFLA.LINKINFO],
  );
  const hp = decodeMessages(hairpin(42, 'vethx').build(2))[0];
  assert.equal(hp.type, RTM.SETLINK);
  assert.equal(hp.payload[0], 7, 'AF_BRIDGE');
  assert.equal(hex(hp.payload.subarray(16)), '0c000c80' + '05000400' + '01000000', 'IFLA_PROTINFO { IFLA_BRPORT_MODE 1 }');
  const del = delLink('vethx');
  assert.equal(del.onError, 'continue');
  assert.deepEqual(del.fine, ['ENODEV']);
  assert.equal(decodeMessages(del.build(3))[0].type, RTM.DELLINK);
});

test('answers: an ack is an NLMSG_ERROR of 0, a failure carries -errno', () => {
  const err = (seq: number, errno: number) => {
    const b = Buffer.alloc(36);
    b.writeUInt32LE(36, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt32LE(seq, 8);
    b.writeInt32LE(-errno, 16);
    return b;
  };
  const msgs = decodeMessages(Buffer.concat([err(5, 0), err(6, 17)]));
  assert.deepEqual(
    msgs.map((m) => [m.seq, m.error]),
    [
      [5, 0],
      [6, -17],
    ],
  );
  assert.deepEqual(decodeMessages(Buffer.alloc(3)), [], 'a short buffer is no message');
  assert.equal(nlmsg(RTM.GETLINK, 1, 1, ifinfomsg({})).length, 32);
});

test('IPv6: RTM_NEWADDR with AF_INET6 and IFA_F_NODAD, 16-byte addresses; the IPv6 default route', () => {
  const m = newAddr6('ns', 2, 'fd00:1::2', 64, 'eth0').build(3);
  const ifa = m.subarray(16, 24);
  assert.deepEqual([...ifa.subarray(0, 4)], [10, 64, 0x02, 0], 'AF_INET6, /64, NODAD, scope');
  const attrs = decodeAttrs(m.subarray(24));
  assert.deepEqual(
    attrs.map((a) => [a.type, a.value.toString('hex')]),
    [
      [2, 'fd000001000000000000000000000002'],
      [1, 'fd000001000000000000000000000002'],
    ],
  );
  const r = defaultRoute6('fd00:1::1').build(4);
  assert.equal(r.readUInt8(16), 10, 'rtm_family AF_INET6');
  assert.deepEqual(
    decodeAttrs(r.subarray(28)).map((a) => [a.type, a.value.toString('hex')]),
    [[5, 'fd000001000000000000000000000001']],
  );
});
