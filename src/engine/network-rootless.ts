// Rootless container networks. An ordinary user's container has a network namespace of its own made
// by the OCI runtime inside the container's user namespace (no pin: pinning needs a mount namespace
// we do not have), and a user-mode network tool (pasta, else slirp4netns: src/network/driver/
// usermode.ts) started on it once it exists, before its process runs: after `create` for detached
// containers, at the runtime's createRuntime point for foreground ones. The tool publishes the ports;
// its pid is in network.json, and it is stopped where a root container's veth would be deleted.
// `--network` rootless: default/bridge = the user-mode network (podman's pasta, or slirp4netns),
// `pasta` and `slirp4netns` pick the tool, none/host as for root. User-defined networks are bridges
// in the user's rootless network namespace (rootless-netns.ts): the container's namespace, made by
// the runtime, is attached once it exists, at the same point as the user-mode tool would start.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { checkUserModePorts, chooseTool, startUserModeNet, stopUserModeNet, USER_MODE_TOOLS, type UserModeNet } from '../network/index.js';
import type { PortMapping } from './types.js';

/** Where a rootless container's tool keeps its pid file, log and API socket: short, because a unix
 *  socket path has at most 107 bytes. */
export function userModeDir(root: string, id: string): string {
  return path.join(root, 'usernet', id.slice(0, 16));
}

/** The rootless reading of --network's value, or undefined for none/host/container: (as for root). */
export function rootlessNetworkTool(given: string): { tool?: string } | undefined {
  if (given === 'none' || given === 'host' || given.startsWith('container:')) return undefined;
  if (given === '' || given === 'bridge' || given === 'hako') return {};
  if (USER_MODE_TOOLS.includes(given as (typeof USER_MODE_TOOLS)[number])) return { tool: given };
  return undefined; // user-defined networks: bridges in the rootless network namespace (rootless-netns.ts)
}

/** Checks the ports and the tool before anything is made; the tool that will be used. */
export function checkUserMode(wanted: string | undefined, publish: PortMapping[]): string {
  checkUserModePorts(publish.map((p) => ({ ...p, protocol: p.protocol ?? 'tcp' })));
  return chooseTool(wanted).tool;
}

/** Starts the tool on the created container `pid`; the running network. */
export async function startForContainer(dir: string, pid: number, ports: PortMapping[], tool: string): Promise<UserModeNet> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (Buffer.byteLength(path.join(dir, 'slirp4netns.sock')) > 107) throw new HakoError(`${dir}: too long for the network tool's socket (107 bytes)`);
  return startUserModeNet(
    { netns: `/proc/${pid}/ns/net`, userns: `/proc/${pid}/ns/user` },
    ports.map((p) => ({ hostIP: p.hostIP, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol ?? 'tcp' })),
    dir,
    tool,
  );
}

/** Stops a container's tool (if it is still the process we started) and removes its directory. */
export function stopForContainer(dir: string, net: { pid?: number; startTime?: string } | undefined): void {
  if (net?.pid) stopUserModeNet({ pid: net.pid, startTime: net.startTime ?? '' });
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.rmdirSync(path.dirname(dir)); // the last one leaves no usernet/ behind in the store
  } catch {
    /* other containers' are there */
  }
}
