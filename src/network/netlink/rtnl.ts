// The rtnetlink requests the bridge driver makes, as typed builders over codec.ts. Each returns a
// Request: where it goes (the host's namespace or the container's), the message, what it does in
// words (for the one-line error), and whether a failure stops the batch.
import {
  AF,
  IFA,
  IFA_F_NODAD,
  IFF_UP,
  IFLA,
  IFLA_BRPORT_MODE,
  IFLA_INFO,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTA,
  RTM,
  RTN_UNICAST,
  RTPROT_BOOT,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  VETH_INFO_PEER,
  encodeAttrs,
  ifaddrmsg,
  ifinfomsg,
  ipv4,
  ipv6,
  mac,
  nlmsg,
  rtmsg,
  str,
  u32,
  u8,
  type Attr,
} from './codec.js';
import { parseIPv6 } from '../ipnet6.js';

export interface Request {
  target: 'host' | 'ns';
  /** The message without its sequence number (the batch numbers them). */
  build: (seq: number) => Buffer;
  what: string;
  onError: 'stop' | 'continue';
  /** Errors that mean "already so" (e.g. ENODEV when deleting): not failures. */
  fine?: string[];
}

const CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
const CHANGE = NLM_F_REQUEST | NLM_F_ACK;
/** IFLA_NET_NS_FD value: `hako-init netlink NETNS` opens the container's namespace as fd 3. */
export const NETNS_FD = 3;

/** A bridge, up, with a fixed MAC (else it takes its lowest port's, and changes as ports come and go). */
/** With `index` (the rootless driver's fixed one), a bridge already there is fine. */
export function newBridge(name: string, address: string, index?: number): Request {
  return {
    target: 'host',
    what: `creating bridge ${name}`,
    onError: 'stop',
    fine: index ? ['EEXIST'] : [],
    build: (seq) =>
      nlmsg(RTM.NEWLINK, CREATE, seq, ifinfomsg({ index, flags: IFF_UP, change: IFF_UP }), [
        { type: IFLA.IFNAME, value: str(name) },
        { type: IFLA.ADDRESS, value: mac(address) },
        { type: IFLA.LINKINFO, value: [{ type: IFLA_INFO.KIND, value: str('bridge') }] },
      ]),
  };
}

export interface VethPair {
  hostName: string;
  /** The host end's ifindex, chosen by the caller (the kernel then honours the peer's too). */
  hostIndex: number;
  master: number;
  peerName: string;
  peerIndex: number;
  peerMac: string;
}

/** A veth pair in one message: the host end enslaved to the bridge and up, the peer created right
 *  inside the container's namespace (IFLA_NET_NS_FD) with its name, index and MAC (down). */
export function newVeth(v: VethPair): Request {
  const peer: Attr[] = [
    { type: IFLA.IFNAME, value: str(v.peerName) },
    { type: IFLA.ADDRESS, value: mac(v.peerMac) },
    { type: IFLA.NET_NS_FD, value: u32(NETNS_FD) },
  ];
  // VETH_INFO_PEER holds an ifinfomsg followed by attributes: raw bytes, not an attribute list.
  // Not up yet: the peer is opened before its partner exists (veth_open: ENOTCONN); linkUp follows.
  const peerInfo = Buffer.concat([ifinfomsg({ index: v.peerIndex }), encodeAttrs(peer)]);
  return {
    target: 'host',
    what: `creating veth ${v.hostName} (${v.peerName} in the container)`,
    onError: 'stop',
    build: (seq) =>
      nlmsg(RTM.NEWLINK, CREATE, seq, ifinfomsg({ index: v.hostIndex, flags: IFF_UP, change: IFF_UP }), [
        { type: IFLA.IFNAME, value: str(v.hostName) },
        { type: IFLA.MASTER, value: u32(v.master) },
        {
          type: IFLA.LINKINFO,
          value: [
            { type: IFLA_INFO.KIND, value: str('veth') },
            { type: IFLA_INFO.DATA, value: [{ type: VETH_INFO_PEER, value: peerInfo }] },
          ],
        },
      ]),
  };
}

/** Sets a link up by index. */
export function linkUp(target: 'host' | 'ns', index: number, name: string): Request {
  return {
    target,
    what: `setting ${name} up`,
    onError: 'stop',
    build: (seq) => nlmsg(RTM.NEWLINK, CHANGE, seq, ifinfomsg({ index, flags: IFF_UP, change: IFF_UP })),
  };
}

/** Hairpin on a bridge port: a container reaches itself through a published port. */
export function hairpin(index: number, name: string): Request {
  return {
    target: 'host',
    what: `setting hairpin mode on ${name}`,
    onError: 'stop',
    build: (seq) =>
      nlmsg(RTM.SETLINK, CHANGE, seq, ifinfomsg({ family: AF.BRIDGE, index }), [{ type: IFLA.PROTINFO, value: [{ type: IFLA_BRPORT_MODE, value: u8(1) }] }]),
  };
}

/** An IPv4 address on a link (`target`: whose namespace the link is in). */
export function newAddr(target: 'host' | 'ns', index: number, address: string, prefix: number, broadcast: string, name: string): Request {
  return {
    target,
    what: `adding address ${address}/${prefix} to ${name}`,
    onError: 'stop',
    fine: target === 'host' ? ['EEXIST'] : [],
    build: (seq) =>
      nlmsg(RTM.NEWADDR, CREATE, seq, ifaddrmsg({ family: AF.INET, prefixlen: prefix, index }), [
        { type: IFA.LOCAL, value: ipv4(address) },
        { type: IFA.ADDRESS, value: ipv4(address) },
        { type: IFA.BROADCAST, value: ipv4(broadcast) },
      ]),
  };
}

/** The default route via `gateway`, in the container's namespace. */
export function defaultRoute(gateway: string): Request {
  return {
    target: 'ns',
    what: `adding the default route via ${gateway}`,
    onError: 'stop',
    build: (seq) =>
      nlmsg(
        RTM.NEWROUTE,
        CREATE,
        seq,
        rtmsg({ family: AF.INET, dstLen: 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST }),
        [{ type: RTA.GATEWAY, value: ipv4(gateway) }],
      ),
  };
}

/** An IPv6 address on a link, without duplicate address detection (usable at once). */
export function newAddr6(target: 'host' | 'ns', index: number, address: string, prefix: number, name: string): Request {
  return {
    target,
    what: `adding address ${address}/${prefix} to ${name}`,
    onError: 'stop',
    fine: target === 'host' ? ['EEXIST'] : [],
    build: (seq) =>
      nlmsg(RTM.NEWADDR, CREATE, seq, ifaddrmsg({ family: AF.INET6, prefixlen: prefix, flags: IFA_F_NODAD, index }), [
        { type: IFA.LOCAL, value: ipv6(parseIPv6(address)) },
        { type: IFA.ADDRESS, value: ipv6(parseIPv6(address)) },
      ]),
  };
}

/** The IPv6 default route via `gateway`, in the container's namespace. */
export function defaultRoute6(gateway: string): Request {
  return {
    target: 'ns',
    what: `adding the IPv6 default route via ${gateway}`,
    onError: 'stop',
    build: (seq) =>
      nlmsg(
        RTM.NEWROUTE,
        CREATE,
        seq,
        rtmsg({ family: AF.INET6, dstLen: 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST }),
        [{ type: RTA.GATEWAY, value: ipv6(parseIPv6(gateway)) }],
      ),
  };
}

/** Deletes a link by name (a veth takes its peer with it); a missing one is fine. */
export function delLink(name: string): Request {
  return {
    target: 'host',
    what: `deleting ${name}`,
    onError: 'continue',
    fine: ['ENODEV'],
    build: (seq) => nlmsg(RTM.DELLINK, CHANGE, seq, ifinfomsg({}), [{ type: IFLA.IFNAME, value: str(name) }]),
  };
}
