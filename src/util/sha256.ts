// SHA-256 (and SHA-512) of some strings, as hex. Under Bun (dist/hako) through Bun's native hasher: loading Bun's
// node:crypto module costs ~1.5 ms of every start-up, and the runtime hashes on each `run` (the
// seccomp cache key). Under Node (the library, the tests) node:crypto, loaded only when first needed.

declare const Bun: { CryptoHasher: new (algorithm: 'sha256' | 'sha512') => { update(data: string): unknown; digest(encoding: 'hex'): string } } | undefined;

export function sha256Hex(...parts: string[]): string {
  return hashHex('sha256', parts);
}

/** SHA-512 (libcni's chain names, src/network/masq.ts), the same way. */
export function sha512Hex(...parts: string[]): string {
  return hashHex('sha512', parts);
}

function hashHex(algorithm: 'sha256' | 'sha512', parts: string[]): string {
  if (typeof Bun !== 'undefined') {
    const hasher = new Bun.CryptoHasher(algorithm);
    for (const part of parts) hasher.update(part);
    return hasher.digest('hex');
  }
  const hash = process.getBuiltinModule('node:crypto').createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
