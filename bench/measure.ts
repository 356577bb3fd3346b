// Alternating measurement: every round runs each live peer once, and the starting peer rotates
// (ABC, BCA, CAB, ...), so slow drift of the machine (thermal, page cache, other load) spreads
// over all peers instead of biasing whichever always runs first or last.
import type { Outcome } from './proc.js';

export interface Contender {
  name: string;
  /** One measured operation; returns its outcome (ms may be a sum of several commands). */
  once(iteration: number): Outcome;
}

export interface Measured {
  samples: Map<string, number[]>;
  /** Peers that failed mid-run, with the reason; they are not run again. */
  failed: Map<string, string>;
}

export function alternate(contenders: Contender[], runs: number, warmup: number): Measured {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const failed = new Map<string, string>();
  const total = warmup + runs;
  for (let i = 0; i < total; i++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(i + k) % contenders.length]!;
      if (failed.has(c.name)) continue;
      const out = c.once(i);
      if (!out.ok) {
        failed.set(c.name, `failed on run ${i + 1}: ${out.error}`);
        continue;
      }
      if (i >= warmup) samples.get(c.name)!.push(out.ms);
    }
  }
  return { samples, failed };
}
