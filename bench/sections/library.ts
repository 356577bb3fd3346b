// The library API: containers per second through `import { Runtime } from 'hako'` (no Node start-up
// per container) vs crun's and runc's command line per container. The call shape below,
// `new Runtime({ root }).run(id, { bundle })`, is the bench's assumption about the API until it
// exists; adjust `runOne` when it lands.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Ctx } from '../context.js';
import { benchBundle } from '../context.js';
import { uniqueId } from '../peers.js';
import { timed } from '../proc.js';
import { rowsFrom, type PeerRef } from '../rows.js';
import type { Measured } from '../measure.js';
import type { SectionResult } from '../types.js';

type RunOne = (id: string) => Promise<unknown>;

async function loadLibrary(ctx: Ctx, root: string): Promise<RunOne | string> {
  let mod: Record<string, unknown>;
  try {
    const name = 'hako'; // a variable, so tsc does not try to resolve the package at build time
    mod = (await import(name)) as Record<string, unknown>;
  } catch {
    const entry = path.join(ctx.repo, 'build', 'src', 'index.js');
    if (!fs.existsSync(entry)) return `not available yet: neither 'hako' nor ${entry} can be imported`;
    try {
      mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    } catch (e) {
      return `not available yet: import ${entry}: ${(e as Error).message}`;
    }
  }
  const Runtime = mod.Runtime as (new (opts: { root: string }) => { run(id: string, opts: { bundle: string }): Promise<unknown> }) | undefined;
  if (typeof Runtime !== 'function') return 'not available yet: the module has no Runtime export';
  const bundle = benchBundle(ctx, ['/bin/true']);
  const rt = new Runtime({ root });
  if (typeof rt.run !== 'function') return 'not available yet: Runtime has no run() method';
  return (id) => rt.run(id, { bundle });
}

export async function library(ctx: Ctx): Promise<SectionResult> {
  const root = fs.mkdtempSync(path.join(ctx.tmp, 'state-hako-lib-'));
  const lib = await loadLibrary(ctx, root);
  let why = typeof lib === 'string' ? lib : undefined;
  if (typeof lib !== 'string') {
    try {
      await lib(uniqueId('lib'));
    } catch (e) {
      why = `not available yet: run: ${(e as Error).message}`;
    }
  }
  const bundle = benchBundle(ctx, ['/bin/true']);
  const clis = ctx.clis.filter((c) => !c.hako);
  const peers: PeerRef[] = [{ name: 'hako library', hako: true, unavailable: why }, ...clis];
  const m: Measured = { samples: new Map(peers.map((p) => [p.name, []])), failed: new Map() };
  // Alternating by hand: the library call is async, the CLI peers are not.
  for (let i = 0; i < ctx.cfg.warmup + ctx.cfg.runs; i++) {
    if (!why && typeof lib !== 'string' && !m.failed.has('hako library')) {
      const t0 = process.hrtime.bigint();
      try {
        await lib(uniqueId('lib'));
        if (i >= ctx.cfg.warmup) m.samples.get('hako library')!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (e) {
        m.failed.set('hako library', `failed on run ${i + 1}: ${(e as Error).message}`);
      }
    }
    for (const c of clis) {
      if (c.unavailable || m.failed.has(c.name)) continue;
      const out = timed(c.cmd(['run', '--bundle', bundle, uniqueId(c.name)]));
      if (!out.ok) m.failed.set(c.name, `failed on run ${i + 1}: ${out.error}`);
      else if (i >= ctx.cfg.warmup) m.samples.get(c.name)!.push(out.ms);
    }
  }
  const rows = rowsFrom(peers, m, 'per container', 'ms');
  for (const r of rows) if (r.summary) r.note = `${(1000 / r.summary.median).toFixed(1)} containers/s`;
  return {
    id: 'library',
    title: '7. library API: per-container cost of `Runtime.run` (in-process) vs the crun/runc command line',
    notes: [`${ctx.cfg.runs} containers per peer after ${ctx.cfg.warmup} warm-up, alternating; each a busybox /bin/true bundle run to completion`],
    targets: [{ peer: 'crun', metric: 'per container', maxRatio: 1.0, label: 'target' }],
    rows,
  };
}
