// Statistics for the bench: order statistics only (median, percentiles, min/max), because start-up
// timings are skewed (a few slow outliers from page cache or scheduler noise) and a mean would hide that.

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

/** The q-th quantile (0 <= q <= 1) of `samples`, interpolating linearly between the two nearest ranks
 *  (the same definition as numpy's default and R's type 7), so small samples still give sane spreads. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile: q must be within [0, 1], got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of an empty sample');
  return {
    n: samples.length,
    median: median(samples),
    p10: percentile(samples, 0.1),
    p90: percentile(samples, 0.9),
    min: Math.min(...samples),
    max: Math.max(...samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/** hako's median over a peer's median; undefined when either side is missing or the peer's is 0. */
export function ratio(hako: number | undefined, peer: number | undefined): number | undefined {
  if (hako === undefined || peer === undefined || peer === 0) return undefined;
  return hako / peer;
}
