// User-mode networking for rootless containers: an ordinary user can neither make veths nor write
// the host's firewall, so a user-space network stack process (pasta, else slirp4netns) joins the
// container's user and network namespaces, gives it a tap device with a default route, and listens
// on the host for its published ports. The policy (which tool, which ports, when it is started and
// stopped) is here; the tools are ecosystem parts started as processes. The process is the network:
// its pid (with its start time, so a reused pid is never signalled) is what the engine records.
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import { procStat } from '../../util/proc.js';
import { startPasta } from './pasta.js';
import { SLIRP_ADDRESS, SLIRP_DNS, SLIRP_GATEWAY, startSlirp } from './slirp.js';
import type { UserModePort, UserModeTarget } from './usermode-types.js';

export type { UserModePort, UserModeTarget };

export { SLIRP_DNS };

export type UserModeTool = 'pasta' | 'slirp4netns';
export const USER_MODE_TOOLS: UserModeTool[] = ['pasta', 'slirp4netns'];

/** A running user-mode network (the engine keeps it in the container's network state). */
export interface UserModeNet {
  tool: UserModeTool;
  pid: number;
  startTime: string;
  /** The container's address and gateway (pasta copies the host's, slirp4netns has fixed ones). */
  ip?: string;
  gateway?: string;
  /** Nameservers for resolv.conf: slirp4netns's forwarder; pasta uses the host's own. */
  dns?: string[];
}

const SEARCH_PATH = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Where a tool is installed, or undefined. */
export function findTool(tool: UserModeTool): string | undefined {
  return SEARCH_PATH.map((d) => `${d}/${tool}`).find((p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The tool to use: `wanted` (--network pasta|slirp4netns, or $HAKO_ROOTLESS_NETWORK), else pasta,
 *  else slirp4netns, as podman 5 prefers them. */
export function chooseTool(wanted?: string): { tool: UserModeTool; binary: string } {
  if (wanted && !USER_MODE_TOOLS.includes(wanted as UserModeTool)) {
    throw new HakoError(`rootless network "${wanted}": unknown (pasta or slirp4netns)`);
  }
  for (const tool of wanted ? [wanted as UserModeTool] : USER_MODE_TOOLS) {
    const binary = findTool(tool);
    if (binary) return { tool, binary };
  }
  const need = wanted ? `${wanted} (Debian package ${wanted === 'pasta' ? 'passt' : wanted})` : 'pasta (Debian package passt) or slirp4netns';
  throw new HakoError(`rootless networking needs ${need}: not installed (or use --network none|host)`);
}

/** Refuses what the tools cannot publish, before anything starts. */
export function checkUserModePorts(ports: UserModePort[]): void {
  for (const p of ports) {
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') {
      throw new HakoError(`--publish ${p.hostPort}:${p.containerPort}/${p.protocol}: rootless networking forwards tcp and udp only`);
    }
  }
}

/** Starts the tool for `target`, publishing `ports`; `dir` holds its pid file, log and API socket. */
export async function startUserModeNet(target: UserModeTarget, ports: UserModePort[], dir: string, wanted?: string): Promise<UserModeNet> {
  checkUserModePorts(ports);
  const { tool, binary } = chooseTool(wanted);
  for (const [what, p] of Object.entries(target)) {
    if (!fs.existsSync(p)) throw new HakoError(`${tool}: the container's ${what} namespace ${p} is gone`);
  }
  if (tool === 'pasta') {
    const pid = await startPasta(binary, target, ports, dir);
    return { tool, pid, startTime: procStat(pid)?.startTime ?? '' };
  }
  const pid = await startSlirp(binary, target, ports, dir);
  return { tool, pid, startTime: procStat(pid)?.startTime ?? '', ip: SLIRP_ADDRESS, gateway: SLIRP_GATEWAY, dns: [SLIRP_DNS] };
}

/** Stops the tool if it is still the process we started; a gone one is fine. */
export function stopUserModeNet(n: Pick<UserModeNet, 'pid' | 'startTime'>): void {
  const now = procStat(n.pid);
  if (!now || (n.startTime && now.startTime !== n.startTime)) return;
  try {
    process.kill(n.pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw new HakoError(`stopping pid ${n.pid}: ${(e as Error).message}`);
  }
}
