// Picks the manifest for this machine out of a manifest list / OCI index, with containerd's variant
// rules: arm64 without a variant means v8; an arm/v7 host also runs v6 and v5 images (newest preferred);
// amd64 v1 is amd64 without a variant, and an amd64 host takes a variant-less entry before any v2..v4.
import { HakoError } from '../../util/errors.js';
import type { Descriptor, Platform } from './types.js';

const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

/** The platform images must match to run here (Node's arch names mapped to OCI/Go names). */
export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: 'linux', architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  if (architecture === 'arm') {
    const v = Number((process.config.variables as Record<string, unknown>).arm_version ?? 7);
    p.variant = `v${v}`;
  }
  return p;
}

export function formatPlatform(p: Partial<Platform> | undefined): string {
  if (!p) return 'unknown';
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}

/** Parses `linux/arm64/v8`, `linux/amd64`, `arm64`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length === 1 && parts[0]) return { os: 'linux', architecture: parts[0] };
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !x)) throw new HakoError(`invalid platform "${s}": expected os/arch[/variant]`);
  const p: Platform = { os: parts[0], architecture: parts[1] };
  if (parts[2]) p.variant = parts[2];
  return p;
}

function normalizeVariant(arch: string, variant: string | undefined): string {
  if (arch === 'arm64' && (!variant || variant === '8')) return 'v8';
  if (arch === 'amd64' && (!variant || variant === 'v1')) return '';
  if (arch === 'arm' && !variant) return 'v7';
  return variant ?? '';
}

/** Variants `want` can run, best first; the empty string stands for "no variant given". */
function acceptableVariants(arch: string, wantVariant: string | undefined): string[] {
  const v = normalizeVariant(arch, wantVariant);
  if (arch === 'arm') {
    const n = Number(v.slice(1)) || 7;
    const out: string[] = [];
    for (let i = n; i >= 5; i--) out.push(`v${i}`);
    return out;
  }
  if (arch === 'amd64') {
    const n = v ? Number(v.slice(1)) || 1 : 1;
    const out = [''];
    for (let i = 2; i <= n; i++) out.push(`v${i}`);
    // An explicitly wanted higher level is preferred over the baseline.
    return n > 1 ? [...out.slice(1).reverse(), ''] : out;
  }
  return [v];
}

/** Chooses the entry for `want` (default: the host) from an index's manifests. Throws naming the
 *  platforms on offer when none fits. Entries without a platform are skipped (attestations etc.). */
export function selectPlatform(manifests: Descriptor[], want: Platform = hostPlatform(), what = 'image'): Descriptor {
  const order = acceptableVariants(want.architecture, want.variant);
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const m of manifests) {
    const p = m.platform;
    if (!p || p.os !== want.os || p.architecture !== want.architecture) continue;
    const rank = order.indexOf(normalizeVariant(p.architecture, p.variant));
    if (rank >= 0 && rank < bestRank) {
      best = m;
      bestRank = rank;
    }
  }
  if (!best) {
    const offered = manifests.filter((m) => m.platform).map((m) => formatPlatform(m.platform));
    throw new HakoError(`${what}: no manifest for platform ${formatPlatform(want)} (available: ${offered.join(', ') || 'none'})`);
  }
  return best;
}
