// Turning measurements into rows: a row per peer, with the skip reason for peers that could not run.
import { summarize } from './stats.js';
import type { Measured } from './measure.js';
import type { Row } from './types.js';

export interface PeerRef {
  name: string;
  hako: boolean;
  unavailable?: string | undefined;
}

export function rowsFrom(peers: PeerRef[], measured: Measured | undefined, metric: string, unit: Row['unit'], scale = 1): Row[] {
  return peers.map((p) => {
    const base: Row = { peer: p.name, metric, unit, hako: p.hako };
    if (p.unavailable) return { ...base, skipped: p.unavailable };
    const failed = measured?.failed.get(p.name);
    if (failed) return { ...base, skipped: failed };
    const samples = (measured?.samples.get(p.name) ?? []).map((x) => x * scale);
    if (samples.length === 0) return { ...base, skipped: 'no samples' };
    return { ...base, samples, summary: summarize(samples) };
  });
}

export function skippedRow(peer: string, hako: boolean, metric: string, unit: Row['unit'], reason: string): Row {
  return { peer, metric, unit, hako, skipped: reason };
}
