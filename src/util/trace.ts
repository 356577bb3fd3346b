// HAKO_TRACE=1: timestamps of the phases of a command on stderr, for work on the fast path.
// Times are the wall clock in ms, which hako-init's trace uses too, so the two interleave: Bun's
// process.hrtime counts from the process's start, not from CLOCK_MONOTONIC's origin as Node's does.
// Written synchronously: the last ones come while the CLI is ending stderr to exit. The same phases
// are what `--debug` records (into --log FILE), for users of engines.
import fs from 'node:fs';
import { logDebug } from './log.js';

export function trace(label: string): void {
  if (process.env.HAKO_TRACE) fs.writeSync(2, `hako: trace ${(performance.timeOrigin + performance.now()).toFixed(1)} ${label}\n`);
  logDebug(label);
}
