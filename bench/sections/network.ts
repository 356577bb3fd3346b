// Section: the engine's default network. `hako run --rm <image> true` on the default network (the
// in-process bridge driver) vs podman's `run --rm` on its default network, and the network's own
// share of hako's run: set-up and teardown from HAKO_TRACE phases (`network set-up begins` ->
// `network attached`, `network teardown begins` -> `network namespace unpinned`).
import { alternate, type Contender } from '../measure.js';
import { podman } from '../podman.js';
import { timed } from '../proc.js';
import { rowsFrom, type PeerRef } from '../rows.js';
import type { Ctx } from '../context.js';
import type { SectionResult } from '../types.js';
import { hakoEngine } from './engine.js';
import fs from 'node:fs';
import path from 'node:path';

function phases(text: string): number | undefined {
  const at = (label: string) => {
    const m = new RegExp(`trace (\\d+\\.\\d+) ${label}\\n`).exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const [a, b, c, d] = [at('network set-up begins'), at('network attached'), at('network teardown begins'), at('network namespace unpinned')];
  return a !== undefined && b !== undefined && c !== undefined && d !== undefined ? b - a + (d - c) : undefined;
}

export async function network(ctx: Ctx): Promise<SectionResult> {
  const [hako, pm] = await Promise.all([hakoEngine(ctx), podman(ctx)]);
  const peers: PeerRef[] = [
    { name: 'hako', hako: true, unavailable: typeof hako === 'string' ? hako : undefined },
    { name: 'podman', hako: false, unavailable: typeof pm === 'string' ? pm : undefined },
  ];
  const contenders: Contender[] = [];
  const netMs: number[] = [];
  if (typeof hako !== 'string') {
    const file = path.join(fs.mkdtempSync(path.join(ctx.tmp, 'net-trace-')), 'stderr');
    const c = hako.cmd(['run', '--rm', hako.image, 'true'], { ...process.env, HAKO_TRACE: '1' });
    contenders.push({
      name: 'hako',
      once: () => {
        // The trace is on stderr: sh sends it to a file to read the phases from (sh's exec: ~1 ms).
        const out = timed({ file: '/bin/sh', args: ['-c', 'f=$1; shift; exec "$@" 2>"$f"', 'sh', file, c.file, ...c.args], env: c.env });
        const ms = phases(fs.readFileSync(file, 'utf8'));
        if (out.ok && ms !== undefined) netMs.push(ms);
        return out;
      },
    });
  }
  if (typeof pm !== 'string') {
    const args = pm.runArgs.filter((a, i, all) => a !== '--network' && all[i - 1] !== '--network');
    contenders.push({ name: 'podman', once: () => timed(pm.cmd(['run', '--rm', ...args, pm.image, 'true'])) });
  }
  const m = alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  const rows = rowsFrom(peers, m, 'run --rm (default network)', 'ms');
  if (typeof pm !== 'string') rows.find((r) => r.peer === 'podman')!.note = `--runtime ${pm.runtime}, its default network`;
  const measured = netMs.slice(-ctx.cfg.runs).sort((x, y) => x - y);
  const median = measured.length ? measured[Math.floor(measured.length / 2)] : undefined;
  return {
    id: 'network',
    title: '3b. engine: `run --rm <busybox image> true` on the default network',
    notes: [
      "hako's bridge driver (netlink through hako-init, one nft batch only when ports change) vs podman's default network (CNI or netavark)",
      median !== undefined
        ? `hako's network set-up + teardown (trace phases, median of ${measured.length}): ${median.toFixed(1)} ms (target 25 ms)`
        : 'hako network phases: no trace read',
      `${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating`,
    ],
    targets: [{ peer: 'podman', metric: 'run --rm (default network)', maxRatio: 0.25, label: 'target' }],
    rows,
  };
}
