// Section 5: memory that stays per detached container: the processes left running next to the
// container's own (podman: conmon; hako: whatever it leaves; runc/crun: none, they exit).
import type { Ctx } from '../context.js';
import { benchBundle } from '../context.js';
import { hakoEngine } from './engine.js';
import { podman } from '../podman.js';
import { uniqueId } from '../peers.js';
import { listPids, stayers, type Stayer } from '../procscan.js';
import { sleepMs, timed, type Cmd } from '../proc.js';
import { skippedRow } from '../rows.js';
import { summarize } from '../stats.js';
import type { Row, SectionResult } from '../types.js';

interface Detacher {
  name: string;
  /** 'engine' or 'runtime': hako is compared within its own kind only. */
  kind: string;
  hako: boolean;
  unavailable?: string | undefined;
  start(tag: string, env: NodeJS.ProcessEnv): Cmd;
  stop(tag: string): Cmd;
}

const noCmd = (): Cmd => ({ file: 'false', args: [] });

function measure(d: Detacher, count: number): Row[] {
  const hwm: number[] = [];
  const rss: number[] = [];
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    const tag = uniqueId(`rss-${d.name}`);
    const before = listPids();
    const out = timed(d.start(tag, { ...process.env, HAKO_BENCH_TAG: tag }));
    if (!out.ok) {
      timed(d.stop(tag));
      return [skippedRow(d.name, d.hako, `${d.kind} peak RSS`, 'KiB', `detached start failed: ${out.error}`)];
    }
    sleepMs(300); // let a monitor finish its own start-up before reading its memory
    const found: Stayer[] = stayers(before, tag);
    timed(d.stop(tag));
    for (const s of found) names.add(s.comm);
    hwm.push(found.reduce((n, s) => n + s.hwmKiB, 0));
    rss.push(found.reduce((n, s) => n + s.rssKiB, 0));
  }
  const who = names.size ? [...names].join(', ') : 'no process stays';
  return [
    { peer: d.name, metric: `${d.kind} peak RSS`, unit: 'KiB', hako: d.hako, samples: hwm, summary: summarize(hwm), note: `VmHWM of: ${who}` },
    { peer: d.name, metric: `${d.kind} RSS`, unit: 'KiB', hako: d.hako, samples: rss, summary: summarize(rss), note: `VmRSS of: ${who}` },
  ];
}

export async function rssSection(ctx: Ctx): Promise<SectionResult> {
  const [hako, pm] = await Promise.all([hakoEngine(ctx), podman(ctx)]);
  const sleeper = benchBundle(ctx, ['/bin/sleep', '1000']);
  const engineSide: Detacher[] = [];
  if (typeof hako === 'string') engineSide.push({ name: 'hako', kind: 'engine', hako: true, unavailable: hako, start: noCmd, stop: noCmd });
  else {
    engineSide.push({
      name: 'hako',
      kind: 'engine',
      hako: true,
      start: (tag, env) => hako.cmd(['run', '-d', '--name', tag, '--network', 'none', hako.image, 'sleep', '1000'], env),
      stop: (tag) => hako.cmd(['rm', '--force', tag]),
    });
  }
  if (typeof pm === 'string') engineSide.push({ name: 'podman', kind: 'engine', hako: false, unavailable: pm, start: noCmd, stop: noCmd });
  else {
    engineSide.push({
      name: 'podman',
      kind: 'engine',
      hako: false,
      start: (tag) => pm.cmd(['run', '-d', '--name', tag, ...pm.runArgs, pm.image, 'sleep', '1000']),
      stop: (tag) => pm.cmd(['rm', '--force', '--time', '0', tag]),
    });
  }
  const runtimeSide: Detacher[] = ctx.clis.map((c) => ({
    name: c.name,
    kind: 'runtime',
    hako: c.hako,
    unavailable: c.unavailable,
    start: (tag, env) => c.cmd(['run', '--detach', '--bundle', sleeper, tag], env),
    stop: (tag) => c.cmd(['delete', '--force', tag]),
  }));
  const rows: Row[] = [];
  for (const d of [...engineSide, ...runtimeSide]) {
    if (d.unavailable) rows.push(skippedRow(d.name, d.hako, `${d.kind} peak RSS`, 'KiB', d.unavailable));
    else rows.push(...measure(d, ctx.cfg.rssCount));
  }
  return {
    id: 'rss',
    title: '5. memory that stays per detached container (sum over staying processes)',
    notes: [
      `${ctx.cfg.rssCount} detached \`sleep 1000\` containers per peer, one at a time; a staying process is a new process in the host PID namespace tagged with the container name/id (cmdline) or HAKO_BENCH_TAG (environment), read from /proc/<pid>/status 300 ms after the start command returned`,
      'engine: hako run -d vs podman run -d (conmon); runtime: `runtime run --detach` (runc and crun leave nothing behind)',
    ],
    targets: [{ peer: 'podman', metric: 'engine peak RSS', maxRatio: 1.0, label: 'target' }],
    rows,
  };
}
