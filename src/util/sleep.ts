// Sleeps. `sleep` is for the library's waits: it yields the event loop, so a server embedding hako
// keeps answering while a container starts or dies. `sleepMs` blocks this thread (Atomics.wait on a
// private cell) and is kept only for synchronous paths outside the library API (CLI-only commands,
// the image store's and the engine's locks, cgroup retries of a few milliseconds).
let cell: Int32Array | undefined;

export function sleepMs(ms: number): void {
  // Created on first use, not at module load: most commands never wait.
  cell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `done()` is true or `timeoutMs` has passed; returns whether it became true. A
 * SIGKILLed process is usually gone within a fraction of a millisecond, while a timer cannot fire
 * sooner than ~1 ms (more under Bun): so the first checks only yield to the event loop
 * (setImmediate), and timers of 1 ms follow after `spinMs`.
 */
export async function pollUntil(done: () => boolean, timeoutMs: number, spinMs = 2): Promise<boolean> {
  const start = performance.now();
  for (;;) {
    if (done()) return true;
    const elapsed = performance.now() - start;
    if (elapsed > timeoutMs) return false;
    await (elapsed < spinMs ? new Promise<void>((resolve) => setImmediate(resolve)) : sleep(1));
  }
}
