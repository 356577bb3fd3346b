// A throw-away Docker distribution registry (Debian's docker-registry) on 127.0.0.1 with storage in
// the bench's temp dir, holding the bench images, pushed there with skopeo from OCI layouts.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { makeBusyboxRootfs } from '../test/fixtures/busybox.js';
import { once, type Ctx } from './context.js';
import { tarDirectory, tarOfFiles, writeOciLayout } from './image.js';
import { mustRun, which } from './proc.js';
import crypto from 'node:crypto';

export interface Registry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  busybox: string;
  multi: string;
  multiLayers: number;
  multiBytes: number;
}

const REGISTRY = '/usr/bin/docker-registry';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(host: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`docker-registry did not answer on http://${host}/v2/`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The busybox rootfs as one uncompressed layer tar (also what `podman import` gets). */
export async function busyboxLayer(ctx: Ctx): Promise<Buffer> {
  const cached = ctx.cache.get('busybox-layer') as Buffer | undefined;
  if (cached) return cached;
  const rootfs = makeBusyboxRootfs(fs.mkdtempSync(path.join(ctx.tmp, 'rootfs-')));
  const layer = await tarDirectory(rootfs);
  ctx.cache.set('busybox-layer', layer);
  return layer;
}

async function start(ctx: Ctx): Promise<Registry | string> {
  if (!fs.existsSync(REGISTRY)) return `${REGISTRY} is missing (Debian docker-registry)`;
  if (!which('skopeo')) return 'skopeo is missing (needed to push the bench images)';
  const dir = fs.mkdtempSync(path.join(ctx.tmp, 'registry-'));
  const host = `127.0.0.1:${await freePort()}`;
  const cfg = path.join(dir, 'config.yml');
  fs.writeFileSync(cfg, [
    'version: 0.1',
    'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', `  filesystem:`, `    rootdirectory: ${path.join(dir, 'storage')}`,
    'http:', `  addr: ${host}`, '',
  ].join('\n'));
  const log = fs.openSync(path.join(dir, 'registry.log'), 'w');
  const child = spawn(REGISTRY, ['serve', cfg], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  ctx.cleanups.push(() => { if (child.exitCode === null) child.kill('SIGTERM'); });
  await waitReady(host, 10_000);

  const push = (layout: string, repo: string) => mustRun({
    file: 'skopeo',
    args: ['copy', '--insecure-policy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${host}/${repo}:latest`],
  });
  const base = await busyboxLayer(ctx);
  const bb = path.join(dir, 'layout-busybox');
  writeOciLayout(bb, 'latest', [base]);
  push(bb, 'bench/busybox');
  // Multi-layer: busybox plus three layers of incompressible data (2 MiB each) and a small one,
  // so both the per-layer overhead and the byte throughput of a pull show.
  const layers = [base];
  for (let i = 0; i < 3; i++) layers.push(await tarOfFiles([{ name: `data/blob${i}.bin`, data: crypto.randomBytes(2 << 20) }]));
  layers.push(await tarOfFiles([{ name: 'etc/motd', data: Buffer.from('hako bench\n') }]));
  const multi = path.join(dir, 'layout-multi');
  writeOciLayout(multi, 'latest', layers);
  push(multi, 'bench/multi');
  const multiBytes = fs.readdirSync(path.join(multi, 'blobs/sha256')).reduce((n, f) => n + fs.statSync(path.join(multi, 'blobs/sha256', f)).size, 0);
  return { host, busybox: `${host}/bench/busybox:latest`, multi: `${host}/bench/multi:latest`, multiLayers: layers.length, multiBytes };
}

/** The registry, started on first use; a string says why it is not available. */
export function registry(ctx: Ctx): Promise<Registry | string> {
  return once(ctx, 'registry', () => start(ctx).catch((e: unknown) => `registry: ${(e as Error).message}`));
}
