// The freezer's waits (write, then check until the kernel reports the state) written once as a
// generator of delays: `blocking` sleeps the thread between the checks (the runtime CLI's `pause`,
// code that must stay synchronous), `yielding` sleeps on a timer (the library: a server embedding
// it keeps running while a cgroup freezes).
import { sleep, sleepMs } from '../util/sleep.js';

/** Steps of a wait: each yielded number is how long to sleep (ms) before the next check. */
export type WaitSteps = Generator<number, void, void>;

export function blocking(steps: WaitSteps): void {
  for (const ms of steps) sleepMs(ms);
}

export async function yielding(steps: WaitSteps): Promise<void> {
  for (const ms of steps) await sleep(ms);
}
