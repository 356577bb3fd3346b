// `npm run bench`: hako against runc, crun, podman and skopeo. Numbers are for reading, not for
// gating: nothing here fails because something is slow. See bench/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type SectionId } from './config.js';
import type { Ctx } from './context.js';
import { loadAverage, machineInfo } from './machine.js';
import { superviseIfNeeded } from './supervisor.js';
import { probeRuntimes, runtimeClis } from './peers.js';
import { enterCleanup, removeTree, setScratchDir } from './proc.js';
import { ratioFor, renderMachine, renderSection } from './report.js';
import { lifecycle, runtimeRun, sequential } from './sections/runtime.js';
import { engine } from './sections/engine.js';
import { control } from './sections/control.js';
import { podmanRuntime } from './sections/podman-runtime.js';
import { network } from './sections/network.js';
import { rssSection } from './sections/rss.js';
import { pull } from './sections/pull.js';
import { library } from './sections/library.js';
import { rootless } from './sections/rootless.js';
import type { SectionResult } from './types.js';
import { benchBundle } from './context.js';

// build/bench/bench.js -> repository root
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type SectionFn = (ctx: Ctx) => SectionResult | Promise<SectionResult>;

// In the order of the issue, except the library API last.
const SECTION_FNS: Record<SectionId, SectionFn> = {
  runtime: runtimeRun,
  lifecycle,
  control,
  engine,
  podman: podmanRuntime,
  network,
  sequential,
  rss: rssSection,
  pull,
  library,
  rootless,
};

function runCleanups(ctx: Ctx): void {
  enterCleanup();
  while (ctx.cleanups.length) {
    const fn = ctx.cleanups.pop()!;
    try {
      fn();
    } catch (e) {
      process.stderr.write(`bench: cleanup: ${(e as Error).message}\n`);
    }
  }
}

// podman and skopeo create these on the host even with all their storage flags pointed at the
// temp dir (auth/network runtime dirs, the blob-info cache). Remove whichever the bench created.
const HOST_SIDE_EFFECTS = ['/run/containers', '/run/libpod', '/var/lib/containers'];

// podman's cgroupfs manager leaves its (empty) parent cgroup, libpod_parent/conmon, in every v1
// hierarchy; cgroup directories go with rmdir, deepest first.
function cgroupLeftovers(): string[] {
  const root = '/sys/fs/cgroup';
  let ctrls: string[] = [];
  try {
    ctrls = fs.readdirSync(root);
  } catch {
    return [];
  }
  return ctrls.map((c) => path.join(root, c, 'libpod_parent')).filter((p) => fs.existsSync(p));
}

function removeCgroupTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  fs.rmdirSync(dir);
}

function removeHostLeftovers(): () => void {
  const existed = new Set([...HOST_SIDE_EFFECTS, ...cgroupLeftovers()].filter((p) => fs.existsSync(p)));
  return () => {
    for (const p of HOST_SIDE_EFFECTS) if (!existed.has(p)) removeTree(p);
    for (const p of cgroupLeftovers()) {
      if (existed.has(p)) continue;
      try {
        removeCgroupTree(p);
      } catch (e) {
        process.stderr.write(`bench: could not remove ${p}: ${(e as Error).message}\n`);
      }
    }
  };
}

async function main(): Promise<number> {
  const cfg = loadConfig();
  const status = await superviseIfNeeded(cfg);
  if (status !== undefined) return status;
  if (process.getuid?.() !== 0) process.stderr.write('bench: not root; the runtimes will most likely fail their probes\n');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-bench-'));
  setScratchDir(tmp);
  const ctx: Ctx = { repo, tmp, cfg, clis: runtimeClis(repo, tmp), cleanups: [removeHostLeftovers(), () => removeTree(tmp)], cache: new Map() };
  const onSignal = (sig: NodeJS.Signals) => {
    runCleanups(ctx);
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const machine = machineInfo(repo);
  console.log(renderMachine(machine));
  const sections: SectionResult[] = [];
  try {
    probeRuntimes(ctx.clis, benchBundle(ctx, ['/bin/true']));
    for (const c of ctx.clis) console.log(`runtime ${c.name}: ${c.unavailable ?? 'ok'}`);
    for (const [id, fn] of Object.entries(SECTION_FNS) as Array<[SectionId, SectionFn]>) {
      if (!cfg.only.has(id)) continue;
      const t0 = Date.now();
      const loadBefore = loadAverage();
      const s = await fn(ctx);
      s.load = { before: loadBefore, after: loadAverage() };
      sections.push(s);
      console.log(`\n${renderSection(s)}\n   (section took ${((Date.now() - t0) / 1000).toFixed(1)} s; load ${s.load.before} -> ${s.load.after})`);
    }
  } finally {
    runCleanups(ctx);
  }
  for (const s of sections)
    for (const r of s.rows) {
      const x = ratioFor(s, r);
      if (x !== undefined) r.ratioHako = x;
    }
  const out = cfg.out ?? path.join(repo, 'bench', 'results', 'latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ machine, config: { ...cfg, only: [...cfg.only] }, sections }, null, 2) + '\n');
  console.log(`\nJSON: ${out}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
