// slirp4netns: the fallback user-mode network where pasta is missing, driven as podman 4.3 does
// (libpod/networking_slirp4netns.go): `--configure --mtu=65520 --disable-host-loopback`, the
// container's namespaces by path, and published ports added through its API socket (`add_hostfwd`,
// podman's `port_handler=slirp4netns`). slirp4netns stays in the foreground: we start it detached in
// its own session; it is ready when its API socket answers (it listens only after the tap device is
// configured in the namespace).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { HakoError } from '../../util/errors.js';
import { sleep } from '../../util/sleep.js';
import { lastLine, type UserModePort, type UserModeTarget } from './usermode-types.js';

/** slirp4netns's fixed addresses (its defaults, 10.0.2.0/24). */
export const SLIRP_ADDRESS = '10.0.2.100';
export const SLIRP_GATEWAY = '10.0.2.2';
export const SLIRP_DNS = '10.0.2.3';
const READY_TIMEOUT_MS = 10_000;

export function slirpArgs(target: UserModeTarget, apiSocket: string): string[] {
  // --enable-sandbox is left out: it needs to be root in a user namespace of its own (podman runs it
  // inside its rootless namespace), which an ordinary user's process is not.
  return [
    '--configure',
    '--mtu=65520',
    '--disable-host-loopback',
    '--enable-seccomp',
    `--api-socket=${apiSocket}`,
    `--userns-path=${target.userns}`,
    '--netns-type=path',
    target.netns,
    'tap0',
  ];
}

/** The API request publishing one port (guest_addr defaults to the container's 10.0.2.100). */
export function hostfwdRequest(p: UserModePort): string {
  const host = p.hostIP === '0.0.0.0' ? '' : p.hostIP;
  return JSON.stringify({ execute: 'add_hostfwd', arguments: { proto: p.protocol, host_addr: host, host_port: p.hostPort, guest_port: p.containerPort } });
}

/** Starts slirp4netns, waits for its API, publishes the ports; resolves with its pid. On a failure
 *  the process is killed before the error is thrown. */
export async function startSlirp(binary: string, target: UserModeTarget, ports: UserModePort[], dir: string): Promise<number> {
  const apiSocket = path.join(dir, 'slirp4netns.sock');
  const logFile = path.join(dir, 'slirp4netns.log');
  fs.rmSync(apiSocket, { force: true });
  const log = fs.openSync(logFile, 'w', 0o600);
  const child = spawn(binary, slirpArgs(target, apiSocket), { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `status ${code}`}`;
  });
  child.once('error', (e) => {
    exited = `cannot start ${binary}: ${e.message}`;
  });
  child.unref();
  const fail = (why: string) => {
    if (!exited && child.pid) process.kill(child.pid, 'SIGKILL');
    return new HakoError(`slirp4netns: ${why}`);
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(apiSocket))) {
    if (exited) throw fail(lastLine(readOr(logFile)) || exited);
    if (Date.now() > deadline) throw fail(`no answer on ${apiSocket} after ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(10);
  }
  for (const p of ports) {
    const reply = await apiCall(apiSocket, hostfwdRequest(p)).catch((e: Error) => ({ error: { desc: e.message } }));
    if ('error' in reply) throw fail(`publishing ${p.hostIP || '0.0.0.0'}:${p.hostPort}/${p.protocol}: ${reply.error?.desc ?? 'refused'}`);
  }
  return child.pid!;
}

/** Publishes `p` to `guestAddr` (a container's address on a bridge in the rootless network namespace,
 *  reached through it: forwarding and proxy ARP are on there). */
export async function slirpForward(apiSocket: string, p: UserModePort, guestAddr: string): Promise<void> {
  const host = p.hostIP === '0.0.0.0' ? '' : p.hostIP;
  const request = JSON.stringify({
    execute: 'add_hostfwd',
    arguments: { proto: p.protocol, host_addr: host, host_port: p.hostPort, guest_addr: guestAddr, guest_port: p.containerPort },
  });
  const reply = await apiCall(apiSocket, request).catch((e: Error) => ({ error: { desc: e.message } }));
  if ('error' in reply) throw new HakoError(`--publish ${p.hostIP || '0.0.0.0'}:${p.hostPort}/${p.protocol}: slirp4netns: ${reply.error?.desc ?? 'refused'}`);
}

/** Removes every published port that leads to one of `guestAddrs`; a tool that is gone is fine. */
export async function slirpUnforward(apiSocket: string, guestAddrs: string[]): Promise<void> {
  if (!guestAddrs.length || !fs.existsSync(apiSocket)) return;
  type Entries = { entries?: { id: number; guest_addr: string }[] };
  // slirp4netns 1.x answers list_hostfwd with the list itself, not inside "return".
  const list = (await apiCall(apiSocket, JSON.stringify({ execute: 'list_hostfwd' })).catch(() => ({}))) as Entries & { return?: Entries };
  for (const e of (list.return ?? list).entries ?? []) {
    if (guestAddrs.includes(e.guest_addr)) await apiCall(apiSocket, JSON.stringify({ execute: 'remove_hostfwd', arguments: { id: e.id } })).catch(() => {});
  }
}

async function answers(socket: string): Promise<boolean> {
  if (!fs.existsSync(socket)) return false;
  return apiCall(socket, JSON.stringify({ execute: 'list_hostfwd' })).then(
    () => true,
    () => false,
  );
}

/** One request per connection, as slirp4netns's API serves them; the JSON answer. */
function apiCall(socket: string, request: string): Promise<{ return?: unknown; error?: { desc?: string } }> {
  return new Promise((resolve, reject) => {
    // node:net on first use: this module is in every engine command's import graph.
    const conn: net.Socket = process.getBuiltinModule('node:net').createConnection(socket);
    let text = '';
    conn.setEncoding('utf8');
    conn.setTimeout(5000, () => conn.destroy(new Error('no answer')));
    conn.on('connect', () => conn.end(request));
    conn.on('data', (d) => {
      text += d;
    });
    conn.on('error', reject);
    conn.on('close', () => {
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new Error(`unreadable answer ${JSON.stringify(text.slice(0, 200))}`));
      }
    });
  });
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
