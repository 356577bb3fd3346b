// Random ids and picks from the Web Crypto API (globalThis.crypto, in Bun and Node alike): loading
// Bun's node:crypto module costs ~2 ms of CPU at start-up, and `hako run` needs only a few random
// bytes (the container id, a name) from it.

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

/** A uniformly distributed integer in [0, max), max <= 2^32 (rejection sampling, no modulo bias). */
export function randomInt(max: number): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError(`randomInt: bad bound ${max}`);
  const limit = 2 ** 32 - (2 ** 32 % max);
  const cell = new Uint32Array(1);
  for (;;) {
    const x = globalThis.crypto.getRandomValues(cell)[0]!;
    if (x < limit) return x % max;
  }
}
