// Runs a batch of rtnetlink requests through `hako-init netlink [NETNS]` (native/netlink.c: Node has
// no netlink socket) and turns the kernel's answers into results, or into one line naming the step
// that failed: `netlink: creating veth vethab12: File exists (EEXIST)`.
import os from 'node:os';
import { HakoError } from '../../util/errors.js';
import { netlink, netlinkDetached } from '../../native/modes.js';
import { decodeMessages, type Decoded } from './codec.js';
import type { Request } from './rtnl.js';

export interface Answer {
  request: Request;
  error: number;
  code?: string;
  messages: Decoded[];
}

const errnoNames = new Map(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));
let nextSeq = (Date.now() & 0xffff) << 8;

function encodeRecord(fields: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32LE(fields.length, 0);
  parts.push(n);
  for (const f of fields) {
    const l = Buffer.alloc(4);
    l.writeUInt32LE(f.length, 0);
    parts.push(l, f);
  }
  return Buffer.concat(parts);
}

function decodeRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off + 8 <= buf.length; ) {
    const len = buf.readUInt32LE(off + 4);
    out.push(buf.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  return out;
}

function encodeBatch(requests: Request[], seqs: number[]): Buffer {
  return Buffer.concat(requests.map((r, i) => encodeRecord([Buffer.from(r.target), r.build(seqs[i]), Buffer.from(r.onError)])));
}

/** Sends host-namespace `requests` from a detached hako-init that nobody waits for: for work whose
 *  result nobody needs and whose wait is the kernel's (RTM_DELLINK waits for RCU: ~20 ms). */
export function runNetlinkDetached(requests: Request[], scratchDir: string): void {
  const seqs = requests.map(() => (nextSeq = (nextSeq + 1) >>> 0));
  netlinkDetached(encodeBatch(requests, seqs), scratchDir);
}

/** Sends `requests` in order; `netns` is the namespace `ns` requests (and IFLA_NET_NS_FD 3) mean.
 *  Returns every answer; throws on the first failure that is neither `fine` nor `continue`. */
export function runNetlink(requests: Request[], netns?: string): Answer[] {
  if (requests.length === 0) return [];
  const seqs = requests.map(() => (nextSeq = (nextSeq + 1) >>> 0));
  const input = encodeBatch(requests, seqs);
  const answers = decodeRecords(netlink(input, netns)).map((raw, i): Answer => {
    const messages = decodeMessages(raw);
    const err = messages.find((m) => m.seq === seqs[i] && m.error !== undefined)?.error ?? 0;
    return { request: requests[i], error: err ? -err : 0, code: err ? errnoNames.get(-err) : undefined, messages };
  });
  for (const a of answers) {
    if (a.error === 0 || (a.code && a.request.fine?.includes(a.code))) continue;
    if (a.request.onError === 'stop') throw new HakoError(`netlink: ${a.request.what}: ${describe(a.error, a.code)}`);
  }
  return answers;
}

export function describe(errno: number, code?: string): string {
  return code ? `${errnoText(errno)} (${code})` : `errno ${errno}`;
}

function errnoText(errno: number): string {
  // Node has no strerror; the messages met here, worded as libc does.
  const words: Record<number, string> = {
    1: 'Operation not permitted',
    2: 'No such file or directory',
    16: 'Device or resource busy',
    17: 'File exists',
    19: 'No such device',
    22: 'Invalid argument',
    34: 'Numerical result out of range',
    95: 'Operation not supported',
    98: 'Address already in use',
    101: 'Network is unreachable',
  };
  return words[errno] ?? `errno ${errno}`;
}
