// A synchronous sleep for the short waits of synchronous code paths (locks, cgroup retries, polling
// a process that is dying). Atomics.wait on a private cell blocks this thread and nothing else.
let cell: Int32Array | undefined;

export function sleepMs(ms: number): void {
  // Created on first use, not at module load: most commands never wait.
  cell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, ms);
}
