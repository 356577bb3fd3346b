// Section 3: the engine, `hako run --rm <image> true` vs `podman run --rm <image> true`, both with
// --network none. hako runs the same busybox bytes, pulled from the bench's local registry.
import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context.js';
import { once } from '../context.js';
import { alternate, type Contender, type Measured } from '../measure.js';
import { hakoBin, hakoEngineCmd } from '../peers.js';
import { podman, type Podman } from '../podman.js';
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

/** One exited container in each store, so that `ps -a` lists something (not timed). */
function psFixture(ctx: Ctx, hako: HakoEngine | string, pm: Podman | string): void {
  const name = 'bench-ps-listed';
  if (typeof hako !== 'string') {
    timed(hako.cmd(['run', '--name', name, '--network', 'none', hako.image, 'true']));
    ctx.cleanups.push(() => {
      timed(hako.cmd(['rm', '--force', name]));
    });
  }
  if (typeof pm !== 'string') {
    timed(pm.cmd(['run', '--name', name, ...pm.runArgs, pm.image, 'true']));
    ctx.cleanups.push(() => {
      timed(pm.cmd(['rm', '--force', name]));
    });
  }
}

function measureBoth(ctx: Ctx, hako: HakoEngine | string, pm: Podman | string, hakoArgs: string[], pmArgs: string[]): Measured {
  const contenders: Contender[] = [];
  if (typeof hako !== 'string') contenders.push({ name: 'hako', once: () => timed(hako.cmd(hakoArgs)) });
  if (typeof pm !== 'string') contenders.push({ name: 'podman', once: () => timed(pm.cmd(pmArgs)) });
  return alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
}

export async function engine(ctx: Ctx): Promise<SectionResult> {
  const [hako, pm] = await Promise.all([hakoEngine(ctx), podman(ctx)]);
  const peers: PeerRef[] = [
    { name: 'hako', hako: true, unavailable: typeof hako === 'string' ? hako : undefined },
    { name: 'podman', hako: false, unavailable: typeof pm === 'string' ? pm : undefined },
  ];
  const image = (x: HakoEngine | Podman | string) => (typeof x === 'string' ? '' : x.image);
  const runArgs = typeof pm === 'string' ? [] : pm.runArgs;
  const run = measureBoth(ctx, hako, pm, ['run', '--rm', '--network', 'none', image(hako), 'true'], ['run', '--rm', ...runArgs, image(pm), 'true']);
  psFixture(ctx, hako, pm);
  const ps = measureBoth(ctx, hako, pm, ['ps', '-a'], ['ps', '-a']);
  const rows = [...rowsFrom(peers, run, 'run --rm', 'ms'), ...rowsFrom(peers, ps, 'ps -a', 'ms')];
  if (typeof pm !== 'string') for (const r of rows) if (r.peer === 'podman') r.note = `--runtime ${pm.runtime}`;
  return {
    id: 'engine',
    title: '3. engine: `run --rm <busybox image> true` and `ps -a`',
    notes: [
      'both with --network none (no network set-up on either side); podman keeps its storage in a temp dir, cgroupfs manager, image loaded with `podman import` from the same busybox rootfs',
      '`ps -a` lists one exited container in each store',
      `${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating`,
    ],
    targets: [
      { peer: 'podman', metric: 'run --rm', maxRatio: 0.2, label: 'target' },
      { peer: 'podman', metric: 'ps -a', maxRatio: 0.5, label: 'target' },
    ],
    rows,
  };
}
