// run/create's `--pull always|missing|never` and `--platform`, as docker's: `never` refuses an
// image the store lacks, `always` pulls even when present, and an image present for another
// platform than asked is refused in one line (pulling for it replaces it only with `--pull always`).
import { HakoError } from '../util/errors.js';
import { formatPlatform, parsePlatform } from '../oci/image/platform.js';
import type { Platform } from '../oci/image/types.js';
import type { ImageInspect } from '../image/inspect.js';

export interface ImagePolicy {
  pull?: 'always' | 'missing' | 'never';
  platform?: string;
}

/** The platform asked for, checked (`linux/arm64`, `arm64`); undefined for the host's. */
export function wantedPlatform(p: ImagePolicy): Platform | undefined {
  if (!p.platform) return undefined;
  try {
    return parsePlatform(p.platform);
  } catch (e) {
    throw new HakoError(`--platform ${p.platform}: ${(e as Error).message}`);
  }
}

/** Whether to pull `ref` given whether the store has it; throws for `never` without it. */
export function mustPull(ref: string, present: boolean, p: ImagePolicy): boolean {
  if (p.pull === 'always') return true;
  if (present) return false;
  if (p.pull === 'never') throw new HakoError(`No such image: ${ref} (--pull never)`);
  return true;
}

/** Refuses an image whose platform is not the one asked for. */
export function checkPlatform(ref: string, image: ImageInspect, p: ImagePolicy): void {
  const want = wantedPlatform(p);
  if (!want) return;
  const have = { os: image.os, architecture: image.architecture, variant: image.variant };
  const same = have.os === want.os && have.architecture === want.architecture && (!want.variant || !have.variant || want.variant === have.variant);
  if (!same)
    throw new HakoError(
      `image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(have)}`,
    );
}
