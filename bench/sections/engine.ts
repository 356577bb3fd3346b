// Section 3: the engine, `hako run --rm <image> true` vs `podman run --rm <image> true`, both with
// --network none. hako runs the same busybox bytes, pulled from the bench's local registry.
import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context.js';
import { once } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { hakoBin, hakoEngineCmd } from '../peers.js';
import { podman } from '../podman.js';
import { timed, type Cmd } from '../proc.js';
import { registry } from '../registry.js';
import { rowsFrom, type PeerRef } from '../rows.js';
import type { SectionResult } from '../types.js';

export interface HakoEngine {
  root: string;
  image: string;
  cmd(args: string[], env?: NodeJS.ProcessEnv): Cmd;
}

/** hako's engine with the busybox image pulled into a temp store, or why it is not available. */
export function hakoEngine(ctx: Ctx): Promise<HakoEngine | string> {
  return once(ctx, 'hako-engine', async (): Promise<HakoEngine | string> => {
    if (!fs.existsSync(hakoBin(ctx.repo))) return `not available yet: ${hakoBin(ctx.repo)} is missing`;
    const reg = await registry(ctx);
    if (typeof reg === 'string') return `cannot get the image to it: ${reg}`;
    const root = fs.mkdtempSync(path.join(ctx.tmp, 'hako-store-'));
    const cmd = (args: string[], env?: NodeJS.ProcessEnv) => hakoEngineCmd(ctx.repo, root, args, env);
    const pulled = timed(cmd(['pull', reg.busybox]), 120_000);
    if (!pulled.ok) return `not available yet: hako pull: ${pulled.error}`;
    const ran = timed(cmd(['run', '--rm', '--network', 'none', reg.busybox, 'true']));
    if (!ran.ok) return `not available yet: hako run: ${ran.error}`;
    return { root, image: reg.busybox, cmd };
  });
}

export async function engine(ctx: Ctx): Promise<SectionResult> {
  const [hako, pm] = await Promise.all([hakoEngine(ctx), podman(ctx)]);
  const peers: PeerRef[] = [
    { name: 'hako', hako: true, unavailable: typeof hako === 'string' ? hako : undefined },
    { name: 'podman', hako: false, unavailable: typeof pm === 'string' ? pm : undefined },
  ];
  const contenders: Contender[] = [];
  if (typeof hako !== 'string') {
    contenders.push({ name: 'hako', once: () => timed(hako.cmd(['run', '--rm', '--network', 'none', hako.image, 'true'])) });
  }
  if (typeof pm !== 'string') {
    contenders.push({ name: 'podman', once: () => timed(pm.cmd(['run', '--rm', ...pm.runArgs, pm.image, 'true'])) });
  }
  const m = alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  const rows = rowsFrom(peers, m, 'run --rm', 'ms');
  if (typeof pm !== 'string') rows.find((r) => r.peer === 'podman')!.note = `--runtime ${pm.runtime}`;
  return {
    id: 'engine',
    title: '3. engine: `run --rm <busybox image> true`',
    notes: [
      'both with --network none (no network set-up on either side); podman keeps its storage in a temp dir, cgroupfs manager, image loaded with `podman import` from the same busybox rootfs',
      `${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating`,
    ],
    targets: [{ peer: 'podman', metric: 'run --rm', maxRatio: 0.25, label: 'target' }],
    rows,
  };
}
