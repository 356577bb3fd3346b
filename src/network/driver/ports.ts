// Is a host port free for publishing? hako's own published ports are DNAT rules, not sockets, so the
// host-wide port list (ipam.ts) answers for those; for every other process the kernel does: a port we
// cannot bind is taken, and /proc names the process holding it where it can (socket inode -> pid).
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { HakoError } from '../../util/errors.js';

/** Binds and closes `ip:port` (tcp or udp) to learn whether another socket holds it. */
export async function portBindable(ip: string, port: number, protocol: string): Promise<boolean> {
  const host = ip || '0.0.0.0';
  if (protocol === 'udp') {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve) => {
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
  }
  if (protocol !== 'tcp') return true; // sctp: Node cannot bind it; the kernel refuses at use
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** "pid 123 (nginx)" for the process holding a local tcp/udp port, or undefined. */
export function portHolder(port: number, protocol: string): string | undefined {
  const inodes = new Set<string>();
  for (const v of ['', '6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/net/${protocol}${v}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseInt(f[1].split(':')[1], 16);
      if (local === port && (protocol !== 'tcp' || f[3] === '0A')) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) {
        let comm = '';
        try {
          comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          /* gone */
        }
        return `pid ${pid}${comm ? ` (${comm})` : ''}`;
      }
    }
  }
  return undefined;
}

/** Throws the one-line refusal for a host port another process holds. */
export async function checkHostPort(ip: string, port: number, protocol: string): Promise<void> {
  if (await portBindable(ip, port, protocol)) return;
  const holder = portHolder(port, protocol);
  throw new HakoError(`--publish ${ip ? `${ip}:` : ''}${port}/${protocol}: host port already in use${holder ? ` by ${holder}` : ''}`);
}
