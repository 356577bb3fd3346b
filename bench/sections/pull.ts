// Section 6: pulling a multi-layer image from a local registry: `hako pull` vs `skopeo copy` (to an
// OCI layout, no unpacking) and `podman pull` (into its store, unpacked). Every run starts from an
// empty destination, so nothing is cached between runs.
import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { hakoBin, hakoEngineCmd } from '../peers.js';
import { podman } from '../podman.js';
import { removeTree, timed, which } from '../proc.js';
import { registry } from '../registry.js';
import { rowsFrom, type PeerRef } from '../rows.js';
import type { SectionResult } from '../types.js';

export async function pull(ctx: Ctx): Promise<SectionResult> {
  const reg = await registry(ctx);
  const title = '6. pull of a multi-layer image from a local registry (127.0.0.1)';
  const targets = [{ peer: 'skopeo', metric: 'pull', maxRatio: 1.0, label: 'reference' }];
  if (typeof reg === 'string') {
    const rows = ['hako', 'skopeo', 'podman'].map((p) => ({ peer: p, metric: 'pull', unit: 'ms' as const, hako: p === 'hako', skipped: reg }));
    return { id: 'pull', title, notes: [], targets, rows };
  }
  const fresh = (prefix: string) => fs.mkdtempSync(path.join(ctx.tmp, prefix));
  const peers: PeerRef[] = [];
  const contenders: Contender[] = [];

  let hakoWhy: string | undefined;
  if (!fs.existsSync(hakoBin(ctx.repo))) hakoWhy = `not available yet: ${hakoBin(ctx.repo)} is missing`;
  else {
    const root = fresh('hako-pull-');
    const probe = timed(hakoEngineCmd(ctx.repo, root, ['pull', reg.multi]), 120_000);
    removeTree(root);
    if (!probe.ok) hakoWhy = `not available yet: ${probe.error}`;
  }
  peers.push({ name: 'hako', hako: true, unavailable: hakoWhy });
  if (!hakoWhy) {
    contenders.push({
      name: 'hako',
      once: () => {
        const root = fresh('hako-pull-');
        try {
          return timed(hakoEngineCmd(ctx.repo, root, ['pull', reg.multi]), 120_000);
        } finally {
          removeTree(root);
        }
      },
    });
  }

  const skopeo = which('skopeo');
  peers.push({ name: 'skopeo', hako: false, unavailable: skopeo ? undefined : 'not installed' });
  if (skopeo) {
    contenders.push({
      name: 'skopeo',
      once: () => {
        const dir = fresh('skopeo-pull-');
        try {
          return timed(
            { file: skopeo, args: ['copy', '--insecure-policy', '--quiet', '--src-tls-verify=false', `docker://${reg.multi}`, `oci:${dir}:latest`] },
            120_000,
          );
        } finally {
          removeTree(dir);
        }
      },
    });
  }

  const pm = await podman(ctx);
  peers.push({ name: 'podman', hako: false, unavailable: typeof pm === 'string' ? pm : undefined });
  if (typeof pm !== 'string') {
    contenders.push({
      name: 'podman',
      once: () => {
        try {
          return timed(pm.cmd(['pull', '--quiet', '--tls-verify=false', reg.multi]), 120_000);
        } finally {
          timed(pm.cmd(['rmi', '--force', reg.multi]));
        }
      },
    });
  }

  const m = alternate(contenders, ctx.cfg.pullRuns, Math.min(ctx.cfg.warmup, 1));
  return {
    id: 'pull',
    title,
    notes: [
      `image: ${reg.multiLayers} gzip layers, ${(reg.multiBytes / 2 ** 20).toFixed(1)} MiB in blobs (busybox + 3 x 2 MiB random + 1 tiny), served by docker-registry over plain HTTP`,
      'skopeo copies to a fresh OCI layout (download + verify, no unpacking); podman pull unpacks into its temp store and is removed with rmi after each run; hako pulls into a fresh --root each run',
      `${ctx.cfg.pullRuns} runs per peer after one warm-up run, alternating`,
    ],
    targets,
    rows: rowsFrom(peers, m, 'pull', 'ms'),
  };
}
