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
