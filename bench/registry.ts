// A throw-away Docker distribution registry (Debian's docker-registry) on 127.0.0.1 with storage in
// the bench's temp dir, holding the bench images, pushed there with skopeo from OCI layouts.
import fs from 'node:fs';
import path from 'node:path';
import { makeBusyboxRootfs } from '../test/fixtures/busybox.js';
import { once, type Ctx } from './context.js';
import { tarDirectory, tarOfFiles, writeOciLayout } from './image.js';
import { mustRun, which } from './proc.js';
import { REGISTRY_BIN, startRegistry } from '../test/fixtures/registry.js';
import crypto from 'node:crypto';

export interface Registry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  busybox: string;
  multi: string;
  multiLayers: number;
  multiBytes: number;
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
  if (!fs.existsSync(REGISTRY_BIN)) return `${REGISTRY_BIN} is missing (Debian docker-registry)`;
  if (!which('skopeo')) return 'skopeo is missing (needed to push the bench images)';
  const dir = fs.mkdtempSync(path.join(ctx.tmp, 'registry-'));
  // The same throw-away registry as the tests (temp storage, 127.0.0.1, a free port).
  const reg = await startRegistry();
  ctx.cleanups.push(() => {
    void reg.stop();
  });
  const host = reg.host;

  const push = (layout: string, repo: string) =>
    mustRun({
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
