// HAKO_TRACE=1: timestamps of the phases of a command on stderr, for work on the fast path.
// Times are CLOCK_MONOTONIC in ms, the clock hako-init's trace uses too, so the two interleave.
// Written synchronously: the last ones come while the CLI is ending stderr to exit.
import fs from 'node:fs';

export function trace(label: string): void {
  if (process.env.HAKO_TRACE) fs.writeSync(2, `hako: trace ${(Number(process.hrtime.bigint() / 1000n) / 1000).toFixed(1)} ${label}\n`);
}
