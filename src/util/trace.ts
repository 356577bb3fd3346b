// HAKO_TRACE=1: timestamps of the phases of a command on stderr, for work on the fast path.
// Times are CLOCK_MONOTONIC in ms, the clock hako-init's trace uses too, so the two interleave.
// The same phases are what `--debug` records (into --log FILE), for users of engines.
import { logDebug } from './log.js';

export function trace(label: string): void {
  if (process.env.HAKO_TRACE) process.stderr.write(`hako: trace ${(Number(process.hrtime.bigint() / 1000n) / 1000).toFixed(1)} ${label}\n`);
  logDebug(label);
}
