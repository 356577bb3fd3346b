// Deleting a network's bridge. The CNI bridge plugin creates the bridge on the first ADD but never
// deletes it (DEL only removes the container's veth), and Node has no netlink socket, and we do not
// run `ip`. What we do instead uses the plugins' own contract: a CNI DEL of an interface-creating
// plugin means "delete interface CNI_IFNAME in namespace CNI_NETNS". The macvlan plugin's DEL, without
// IPAM, does exactly that and nothing else, so DEL with CNI_NETNS = our own (the host's) network
// namespace and CNI_IFNAME = the bridge deletes the bridge via netlink (RTM_DELLINK).
// Guards: the device must be a bridge (/sys/class/net/<name>/bridge) with no ports left (brif empty),
// so a typo or a shared bridge never takes down anything else.
// If that fails, the bridge is at least set down through sysfs (flags), which withdraws its subnet
// route from the host; a native `dellink` op in hako-init would be the plugin-free alternative.
import fs from 'node:fs';
import { HakoError } from '../util/errors.js';
import type { CniExecutor } from './cni.js';

const IFF_UP = 0x1;

export function bridgeExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}/bridge`);
}

export function bridgePorts(name: string): string[] {
  try {
    return fs.readdirSync(`/sys/class/net/${name}/brif`);
  } catch {
    return [];
  }
}

/** Deletes bridge `name` if it exists and has no ports; returns false when it was not there. */
export async function deleteBridge(name: string, executor: CniExecutor): Promise<boolean> {
  if (!fs.existsSync(`/sys/class/net/${name}`)) return false;
  if (!bridgeExists(name)) throw new HakoError(`bridge "${name}": the host device of that name is not a bridge; left alone`);
  const ports = bridgePorts(name);
  if (ports.length > 0) throw new HakoError(`bridge "${name}": still has ports ${ports.join(', ')}; left alone`);
  const list = { cniVersion: '1.0.0', name: 'hako-bridge-delete', plugins: [{ type: 'macvlan', master: name }] };
  const errors = await executor.del(list, { containerId: `hako-bridge-${name}`, netns: `/proc/${process.pid}/ns/net`, ifName: name });
  if (!fs.existsSync(`/sys/class/net/${name}`)) return true;
  setDown(name);
  throw new HakoError(`bridge "${name}": could not be deleted (${errors.map((e) => e.message).join('; ') || 'still present'}); it was set down`);
}

/** Clears IFF_UP through /sys/class/net/<name>/flags (writable by CAP_NET_ADMIN). */
export function setDown(name: string): void {
  try {
    const file = `/sys/class/net/${name}/flags`;
    const flags = parseInt(fs.readFileSync(file, 'utf8').trim(), 16);
    fs.writeFileSync(file, `0x${(flags & ~IFF_UP).toString(16)}`);
  } catch {
    /* gone meanwhile */
  }
}
