// Section 3b: hako as podman's OCI runtime. The same podman (storage, flags, image) runs
// `run --rm <busybox> true` with `--runtime bin/hako-runtime` and with `--runtime runc`; podman's
// own work is in both, so the ratio shows what the runtime adds to a whole engine command.
import path from 'node:path';
import type { Ctx } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { podman } from '../podman.js';
import { timed, which } from '../proc.js';
import { rowsFrom, type PeerRef } from '../rows.js';
import type { SectionResult } from '../types.js';

export async function podmanRuntime(ctx: Ctx): Promise<SectionResult> {
  const pm = await podman(ctx);
  const hakoRuntime = path.join(ctx.repo, 'bin', 'hako-runtime');
  const runc = which('runc');
  const why = typeof pm === 'string' ? pm : undefined;
  const peers: PeerRef[] = [
    { name: 'podman --runtime hako', hako: true, unavailable: why },
    { name: 'podman --runtime runc', hako: false, unavailable: why ?? (runc ? undefined : 'runc is not installed') },
  ];
  const contenders: Contender[] = [];
  if (typeof pm !== 'string') {
    for (const [name, rt] of [
      [peers[0]!.name, hakoRuntime],
      [peers[1]!.name, runc],
    ] as const) {
      if (!rt) continue;
      const cmd = pm.withRuntime(rt);
      contenders.push({ name, once: () => timed(cmd(['run', '--rm', ...pm.runArgs, pm.image, 'true'])) });
    }
  }
  const m = alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  return {
    id: 'podman',
    title: '3b. podman `run --rm <busybox> true --network none`: hako-runtime vs runc as its runtime',
    notes: [`same podman storage and flags as section 3; ${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating`],
    targets: [{ peer: peers[1]!.name, metric: 'run --rm', maxRatio: 1.1, label: 'target' }],
    rows: rowsFrom(peers, m, 'run --rm', 'ms'),
  };
}
