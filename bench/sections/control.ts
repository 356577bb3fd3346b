// Section 2b: the runtime's small commands, `state` and `kill`, which engines call around every
// container (podman: state after create and start, kill on stop). Each round creates a container
// (not timed), then times `state <id>` and `kill <id> KILL`, then deletes it (not timed).
import type { Ctx } from '../context.js';
import { benchBundle } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { uniqueId, usable } from '../peers.js';
import { timed, type Outcome } from '../proc.js';
import { rowsFrom } from '../rows.js';
import type { SectionResult } from '../types.js';

const TIMED = ['state', 'kill'] as const;

export function control(ctx: Ctx): SectionResult {
  const bundle = benchBundle(ctx, ['/bin/true']);
  const perCmd = new Map<string, Map<string, number[]>>(TIMED.map((p) => [p, new Map()]));
  const contenders: Contender[] = usable(ctx.clis).map((c) => ({
    name: c.name,
    once: (i): Outcome => {
      const id = uniqueId(c.name);
      const created = timed(c.cmd(['create', '--bundle', bundle, id]));
      if (!created.ok) return { ...created, error: `create: ${created.error}` };
      try {
        for (const cmd of TIMED) {
          const out = timed(c.cmd(cmd === 'state' ? ['state', id] : ['kill', id, 'KILL']));
          if (!out.ok) return { ...out, error: `${cmd}: ${out.error}` };
          if (i >= ctx.cfg.warmup) {
            const m = perCmd.get(cmd)!;
            m.set(c.name, [...(m.get(c.name) ?? []), out.ms]);
          }
        }
      } finally {
        timed(c.cmd(['delete', '--force', id]));
      }
      return { ok: true, ms: 0, error: '' };
    },
  }));
  const m = alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  return {
    id: 'control',
    title: '2b. `state` and `kill KILL` of a created container',
    notes: [`${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating; create and delete around them are not timed`],
    targets: TIMED.map((metric) => ({ peer: 'runc', metric, maxRatio: 2.5, label: 'target' })),
    rows: TIMED.flatMap((cmd) => rowsFrom(ctx.clis, { samples: perCmd.get(cmd)!, failed: m.failed }, cmd, 'ms')),
  };
}
