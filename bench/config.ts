// Environment knobs of `npm run bench`. Defaults keep a full run (all sections, all peers) within
// about five minutes on the 2-core CI VM.

export const SECTIONS = ['runtime', 'lifecycle', 'control', 'engine', 'network', 'podman', 'sequential', 'rss', 'pull', 'library', 'rootless'] as const;
export type SectionId = (typeof SECTIONS)[number];

export interface BenchConfig {
  runs: number; // BENCH_RUNS: measured runs per peer in the per-command sections
  warmup: number; // BENCH_WARMUP: unmeasured runs per peer first (page cache, lazy binding)
  only: Set<SectionId>; // BENCH_ONLY=runtime,engine,...: subset of sections
  seqCount: number; // BENCH_SEQ: containers per round in the sequential section (crun's README: 100)
  seqRounds: number; // BENCH_SEQ_ROUNDS: rounds of BENCH_SEQ containers per peer
  pullRuns: number; // BENCH_PULL_RUNS: pulls per peer (each a few hundred ms)
  rssCount: number; // BENCH_RSS_COUNT: detached containers measured per peer
  hideUnified: 'auto' | '0' | '1'; // BENCH_HIDE_UNIFIED: see supervisor.ts
  out: string | undefined; // BENCH_OUT: JSON path (default bench/results/latest.json)
  quick: boolean; // BENCH_QUICK=1: fewer runs everywhere, to iterate (explicit knobs still win)
}

function positiveInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer >= ${min}, got '${raw}'`);
  return n;
}

export function loadConfig(): BenchConfig {
  const onlyRaw = process.env.BENCH_ONLY?.trim();
  const only = new Set<SectionId>();
  if (onlyRaw) {
    for (const s of onlyRaw
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      if (!(SECTIONS as readonly string[]).includes(s)) {
        throw new Error(`BENCH_ONLY: unknown section '${s}' (known: ${SECTIONS.join(', ')})`);
      }
      only.add(s as SectionId);
    }
  } else {
    for (const s of SECTIONS) only.add(s);
  }
  const hide = process.env.BENCH_HIDE_UNIFIED ?? 'auto';
  if (hide !== 'auto' && hide !== '0' && hide !== '1') throw new Error(`BENCH_HIDE_UNIFIED: expected auto, 0 or 1, got '${hide}'`);
  const quick = process.env.BENCH_QUICK === '1';
  return {
    runs: positiveInt('BENCH_RUNS', quick ? 8 : 30),
    warmup: positiveInt('BENCH_WARMUP', quick ? 1 : 3, 0),
    only,
    seqCount: positiveInt('BENCH_SEQ', quick ? 20 : 100),
    seqRounds: positiveInt('BENCH_SEQ_ROUNDS', quick ? 1 : 3),
    pullRuns: positiveInt('BENCH_PULL_RUNS', quick ? 3 : 10),
    rssCount: positiveInt('BENCH_RSS_COUNT', quick ? 2 : 5),
    hideUnified: hide,
    out: process.env.BENCH_OUT || undefined,
    quick,
  };
}
