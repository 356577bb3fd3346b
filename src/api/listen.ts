// Where the service listens: a Unix socket it makes (never a TCP port), or the socket systemd
// passes (socket activation: LISTEN_PID/LISTEN_FDS, the first passed fd is 3). The socket is
// docker's: root:docker 0660 when a `docker` group exists, else 0600 (made so from the start by the
// umask, so no client connects in a wider window). A stale socket file of a dead service is
// replaced; a live one, or anything that is not a socket, is left alone and refused.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { mkdirp } from '../util/mkdirp.js';

export const ROOT_SOCKET = '/run/hako/docker.sock';

/** The default socket: /run/hako/docker.sock for root, $XDG_RUNTIME_DIR/hako/docker.sock otherwise. */
export function defaultSocketPath(): string {
  if (process.getuid?.() === 0) return ROOT_SOCKET;
  const runtimeDir = process.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
  return path.join(runtimeDir, 'hako', 'docker.sock');
}

/** `unix:///path` (or a bare absolute path) → the path; any other scheme is refused. */
export function socketPathOf(address: string): string {
  const m = /^unix:\/\/(\/.*)$/.exec(address) ?? /^(\/.*)$/.exec(address);
  if (!m) throw new HakoError(`unsupported address ${JSON.stringify(address)}: expected unix:///PATH (hako serves only Unix sockets)`);
  return path.resolve(m[1]);
}

/** The fd systemd passed this process, if any (sd_listen_fds). */
export function activationFd(): number | undefined {
  if (process.env.LISTEN_PID !== String(process.pid)) return undefined;
  const count = Number(process.env.LISTEN_FDS ?? 0);
  if (!(count >= 1)) return undefined;
  for (const v of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) delete process.env[v]; // not for our children
  return 3;
}

/** The gid of the `docker` group, if the host has one. */
function dockerGid(): number | undefined {
  try {
    const line = fs
      .readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('docker:'));
    const gid = line ? Number(line.split(':')[2]) : Number.NaN;
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a socket file nobody answers on; refuses a live one or a file of another kind. */
async function clearStale(socket: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socket);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new HakoError(`${socket}: exists and is not a socket (remove it, or choose another path)`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(socket);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new HakoError(`${socket}: another service is already listening there`);
  fs.rmSync(socket, { force: true });
}

/** Listens on `socket` (docker's permissions), or on the activation fd. */
export async function listenOn(server: net.Server, socket: string | undefined): Promise<string> {
  const fd = socket === undefined ? activationFd() : undefined;
  if (fd !== undefined) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, resolve);
    });
    return `fd ${fd} (socket activation)`;
  }
  const file = socket ?? defaultSocketPath();
  mkdirp(path.dirname(file), 0o755);
  await clearStale(file);
  const gid = process.getuid?.() === 0 ? dockerGid() : undefined;
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new HakoError(`${file}: cannot listen: ${e.code ?? e.message}`)));
      server.listen(file, resolve);
    });
  } finally {
    process.umask(old);
  }
  if (gid !== undefined) {
    fs.chownSync(file, 0, gid);
    fs.chmodSync(file, 0o660);
  }
  return `unix://${file}`;
}
