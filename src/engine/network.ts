// Container networking behind one small interface, so the CNI code (branch `network`: attach/detach,
// network files) can replace the body of this module without touching the rest of the engine.
// Until it lands: `none` (own network namespace, loopback only) and `host` (the host's namespace).
// `bridge` and named networks fail with one clear line.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import type { PortMapping } from './types.js';

/** The network a container gets without --network. docker's is `bridge`; until CNI networking is
 *  merged it is `none`, so a plain `hako run` works. */
export const DEFAULT_NETWORK = 'none';

export interface NetworkPlan {
  mode: 'none' | 'host';
  /** For the spec: no namespace (host) or a fresh one created by the runtime. */
  netns: 'host' | 'new';
}

/** Checks the --network/-p combination before anything is created. */
export function planNetwork(network: string, publish: PortMapping[]): NetworkPlan {
  const net = network || DEFAULT_NETWORK;
  if (net === 'host') {
    if (publish.length) process.stderr.write('hako: warning: published ports are discarded when using host network mode\n');
    return { mode: 'host', netns: 'host' };
  }
  if (net === 'none') {
    if (publish.length) throw new HakoError('--publish needs a network with port mapping (--network bridge): networking is not available yet in this build');
    return { mode: 'none', netns: 'new' };
  }
  if (net.startsWith('container:')) throw new HakoError(`--network ${net}: joining another container's network is not supported yet`);
  throw new HakoError(`--network ${net}: networking is not available yet in this build (use --network none or --network host)`);
}

/** Writes /etc/hosts, /etc/hostname and /etc/resolv.conf for the container into `dir` and returns
 *  the bind mounts that put them in place. */
export function networkFiles(plan: NetworkPlan, dir: string, hostname: string): { destination: string; type: string; source: string; options: string[] }[] {
  fs.mkdirSync(dir, { recursive: true });
  const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `127.0.1.1\t${hostname}`, ''];
  let resolv = '';
  if (plan.mode === 'host') {
    try { resolv = fs.readFileSync('/etc/resolv.conf', 'utf8'); } catch { /* none on the host */ }
  }
  fs.writeFileSync(path.join(dir, 'hosts'), plan.mode === 'host' ? readOr('/etc/hosts', hosts.join('\n')) : hosts.join('\n'));
  fs.writeFileSync(path.join(dir, 'hostname'), `${hostname}\n`);
  fs.writeFileSync(path.join(dir, 'resolv.conf'), resolv);
  return ['hosts', 'hostname', 'resolv.conf'].map((f) => ({
    destination: `/etc/${f}`, type: 'bind', source: path.join(dir, f), options: ['rbind', 'rprivate'],
  }));
}

/** Called after the container's process exists (its netns is /proc/<pid>/ns/net): nothing to do for none/host. */
export async function attachNetwork(_plan: NetworkPlan, _containerId: string, _pid: number): Promise<void> {}

/** Called when the container is removed. */
export async function detachNetwork(_plan: NetworkPlan, _containerId: string): Promise<void> {}

function readOr(file: string, fallback: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return fallback; }
}
