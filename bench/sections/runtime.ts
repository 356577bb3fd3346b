// Sections 1, 2 and 4: the OCI runtime command line (hako runtime vs runc vs crun) on a busybox
// /bin/true bundle.
import type { Ctx } from '../context.js';
import { benchBundle } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { uniqueId, usable } from '../peers.js';
import { timed, type Outcome } from '../proc.js';
import { rowsFrom } from '../rows.js';
import type { SectionResult, Target } from '../types.js';

const RUNTIME_TARGETS: Target[] = [
  { peer: 'runc', metric: 'run', maxRatio: 1.0, label: 'target' },
  { peer: 'crun', metric: 'run', maxRatio: 1.5, label: 'stretch' },
];

export function runtimeRun(ctx: Ctx): SectionResult {
  const bundle = benchBundle(ctx, ['/bin/true']);
  const contenders: Contender[] = usable(ctx.clis).map((c) => ({
    name: c.name,
    once: () => timed(c.cmd(['run', '--bundle', bundle, uniqueId(c.name)])),
  }));
  const m = alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  return {
    id: 'runtime',
    title: '1. `runtime run` of a busybox /bin/true bundle',
    notes: [
      `${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating; each peer has its own --root state dir and a new container id per run`,
    ],
    targets: RUNTIME_TARGETS,
    rows: rowsFrom(ctx.clis, m, 'run', 'ms'),
  };
}

export function lifecycle(ctx: Ctx): SectionResult {
  const bundle = benchBundle(ctx, ['/bin/true']);
  const phases = ['create', 'start', 'delete'] as const;
  const perPhase = new Map<string, Map<string, number[]>>(phases.map((p) => [p, new Map()]));
  const contenders: Contender[] = usable(ctx.clis).map((c) => ({
    name: c.name,
    once: (i): Outcome => {
      const id = uniqueId(c.name);
      let total = 0;
      for (const phase of phases) {
        const args = phase === 'create' ? ['create', '--bundle', bundle, id] : phase === 'start' ? ['start', id] : ['delete', '--force', id];
        const out = timed(c.cmd(args));
        if (!out.ok) {
          if (phase !== 'delete') timed(c.cmd(['delete', '--force', id]));
          return { ...out, error: `${phase}: ${out.error}` };
        }
        total += out.ms;
        if (i >= ctx.cfg.warmup) {
          const m = perPhase.get(phase)!;
          m.set(c.name, [...(m.get(c.name) ?? []), out.ms]);
        }
      }
      return { ok: true, ms: total, error: '' };
    },
  }));
  const m = alternate(contenders, ctx.cfg.runs, ctx.cfg.warmup);
  const rows = rowsFrom(ctx.clis, m, 'create+start+delete', 'ms');
  for (const phase of phases) {
    rows.push(...rowsFrom(ctx.clis, { samples: perPhase.get(phase)!, failed: m.failed }, phase, 'ms'));
  }
  return {
    id: 'lifecycle',
    title: '2. create + start + delete as separate commands',
    notes: [
      'no polling between start and delete: `delete --force` right after `start` returns (it kills the process if /bin/true is still running), so the total is three commands and nothing else',
      `${ctx.cfg.runs} runs per peer after ${ctx.cfg.warmup} warm-up runs, alternating`,
    ],
    targets: [
      { peer: 'runc', metric: 'create+start+delete', maxRatio: 1.2, label: 'target' },
      { peer: 'crun', metric: 'create+start+delete', maxRatio: 1.5, label: 'stretch' },
    ],
    rows,
  };
}

export function sequential(ctx: Ctx): SectionResult {
  const bundle = benchBundle(ctx, ['/bin/true']);
  const n = ctx.cfg.seqCount;
  const contenders: Contender[] = usable(ctx.clis).map((c) => ({
    name: c.name,
    once: (): Outcome => {
      let ms = 0;
      for (let k = 0; k < n; k++) {
        const out = timed(c.cmd(['run', '--bundle', bundle, uniqueId(c.name)]));
        if (!out.ok) return { ...out, error: `container ${k + 1}/${n}: ${out.error}` };
        ms += out.ms;
      }
      return { ok: true, ms, error: '' };
    },
  }));
  // No warm-up round: section 1 already warmed every peer, and each round is itself 100 runs.
  const m = alternate(contenders, ctx.cfg.seqRounds, 0);
  return {
    id: 'sequential',
    title: `4. ${n} sequential containers (\`runtime run\` of /bin/true), total seconds`,
    notes: [
      `${ctx.cfg.seqRounds} rounds per peer, alternating; spread is over rounds. crun's README reports crun 1.69 s vs runc 3.34 s for 100 containers on its machine`,
    ],
    targets: [
      { peer: 'runc', metric: 'total', maxRatio: 1.0, label: 'target' },
      { peer: 'crun', metric: 'total', maxRatio: 1.5, label: 'stretch' },
    ],
    rows: rowsFrom(ctx.clis, m, 'total', 's', 1 / 1000),
  };
}
