// pasta (Debian `passt`): user-mode networking for a rootless container, as podman drives it
// (libpod/networking_pasta_linux.go). pasta joins the container's user and network namespaces, makes
// a tap device there with the host's addresses and routes copied (--config-net), and forwards the
// published host ports itself: one `-t`/`-u` spec per mapping, everything else off (`-t none`, …), so
// no port of the host or of the container is forwarded that was not asked for. It forks into the
// background once the namespace is configured: its exit status is the answer, its pid file the handle.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../../util/errors.js';
import { lastLine, type UserModePort, type UserModeTarget } from './usermode-types.js';

/** The MTU pasta gives the tap device (its default, and podman's). */
export const PASTA_MTU = 65520;

/** One `-t`/`-u` argument: `[ADDR/]HOSTPORT:CONTAINERPORT`; no address means every host address. */
export function pastaPortSpec(p: UserModePort): string {
  const ip = p.hostIP && p.hostIP !== '0.0.0.0' && p.hostIP !== '::' ? `${p.hostIP}/` : '';
  return `${ip}${p.hostPort}:${p.containerPort}`;
}

/** pasta's command line for a target and its published ports (podman's arguments). */
export function pastaArgs(target: UserModeTarget, ports: UserModePort[], pidFile: string): string[] {
  const args = ['--config-net'];
  for (const p of ports) args.push(p.protocol === 'udp' ? '-u' : '-t', pastaPortSpec(p));
  if (!ports.some((p) => p.protocol !== 'udp')) args.push('-t', 'none');
  if (!ports.some((p) => p.protocol === 'udp')) args.push('-u', 'none');
  // Nothing from the container to the host's ports, and the gateway address is not the host's
  // loopback (podman's defaults: a rootless container reaches the host as any outside peer does).
  args.push('-T', 'none', '-U', 'none', '--no-map-gw');
  args.push('--userns', target.userns, '--netns', target.netns, '--no-netns-quit', '--pid', pidFile, '--quiet');
  return args;
}

/** Starts pasta and resolves with its pid once the namespace is configured (it has daemonized). */
export async function startPasta(binary: string, target: UserModeTarget, ports: UserModePort[], dir: string): Promise<number> {
  const pidFile = path.join(dir, 'pasta.pid');
  const logFile = path.join(dir, 'pasta.log');
  fs.rmSync(pidFile, { force: true });
  const log = fs.openSync(logFile, 'w', 0o600);
  let status: number | null;
  try {
    const child = spawn(binary, pastaArgs(target, ports, pidFile), { stdio: ['ignore', log, log] });
    status = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (e) => reject(new HakoError(`pasta: cannot start ${binary}: ${e.message}`)));
      child.once('exit', (code) => resolve(code));
    });
  } finally {
    fs.closeSync(log);
  }
  const pid = Number(readOr(pidFile, '').trim());
  if (status !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new HakoError(`pasta: ${lastLine(readOr(logFile, '')) || `exited with status ${status}`}`);
  }
  fs.rmSync(logFile, { force: true });
  return pid;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
