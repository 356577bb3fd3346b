// The user's rootless network namespace (podman's rootless-netns): the network namespace the shared
// user namespace's holder made (rootless-pause.ts), where the bridge driver keeps the bridges of
// user-defined networks for an ordinary user's containers (src/network/driver/bridge.ts
// useRootlessNetns: hako-init enters it for every netlink batch). Containers on those networks get
// a veth to the bridge there, and so reach each other by address and, through /etc/hosts, by name.
// One slirp4netns gives the namespace its way out and publishes ports: its API's add_hostfwd sends
// a host port to a container's address on a bridge (forwarding and proxy ARP are on in the
// namespace, so the tool's packets are routed there). Started on the first need, recorded in
// <runtime dir>/rootless-netns/ with the holder's pid (a new holder's namespace needs a new tool),
// ended with the holder.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { acquirePidLockAsync, releasePidLock } from '../util/pidlock.js';
import { procStat } from '../util/proc.js';
import { findTool, slirpForward, slirpUnforward, startSlirp, type UserModePort } from '../network/index.js';

export interface NetnsHolder {
  pid: number;
  userns: string;
  netns: string;
}

const toolDir = (runDir: string) => path.join(runDir, 'rootless-netns');
const recordFile = (runDir: string) => path.join(toolDir(runDir), 'tool.pid');
export const apiSocket = (runDir: string) => path.join(toolDir(runDir), 'slirp4netns.sock');

/** The tool's pid if it is running for holder `holderPid`, else 0. */
function runningTool(runDir: string, holderPid?: number): number {
  let text = '';
  try {
    text = fs.readFileSync(recordFile(runDir), 'utf8');
  } catch {
    return 0;
  }
  const [pid, start, holder] = text.trim().split(' ').map(Number);
  const st = procStat(pid);
  if (!st || st.startTime !== String(start) || st.state === 'Z') return 0;
  return holderPid === undefined || holder === holderPid ? pid : 0;
}

/** Stops the tool (if any) and removes its directory. */
export function stopNetnsTool(runDir: string): void {
  const pid = runningTool(runDir);
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  fs.rmSync(toolDir(runDir), { recursive: true, force: true });
}

/** The namespace's tool, started if it is not running for this holder; its API socket. */
export async function ensureNetnsTool(runDir: string, holder: NetnsHolder): Promise<string> {
  const lock = path.join(runDir, 'rootless-netns.lock');
  await acquirePidLockAsync(lock, { timeoutMs: 30_000 });
  try {
    if (runningTool(runDir, holder.pid)) return apiSocket(runDir);
    stopNetnsTool(runDir); // one of an earlier holder (killed), if any
    const binary = findTool('slirp4netns');
    if (!binary) throw new HakoError('rootless user-defined networks need slirp4netns (Debian package slirp4netns): not installed');
    fs.mkdirSync(toolDir(runDir), { recursive: true, mode: 0o700 });
    const pid = await startSlirp(binary, { netns: holder.netns, userns: holder.userns }, [], toolDir(runDir));
    fs.writeFileSync(recordFile(runDir), `${pid} ${procStat(pid)?.startTime ?? ''} ${holder.pid}\n`);
    return apiSocket(runDir);
  } finally {
    releasePidLock(lock);
  }
}

/** Publishes a container's ports to its address through the namespace's tool. */
export async function publishTo(socket: string, ports: UserModePort[], address: string): Promise<void> {
  for (const p of ports) await slirpForward(socket, p, address);
}

/** Withdraws what publishTo published for `addresses` (the tool may be gone). */
export async function unpublish(runDir: string, addresses: string[]): Promise<void> {
  await slirpUnforward(apiSocket(runDir), addresses);
}
