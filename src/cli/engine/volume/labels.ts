// KEY=VALUE lists of the volume commands (--label, --opt), and their --filter.
import { HakoError } from '../../../util/errors.js';
import type { VolumeInfo } from '../../../engine/volumes.js';

export function keyValues(flag: string, values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (values as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq === 0) throw new HakoError(`invalid argument "${kv}" for "${flag}" flag: no key`);
    out[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  }
  return out;
}

/** `volume ls --filter`: dangling=true|false, name=PART, label=KEY[=VALUE], driver=local. */
export function volumeFilter(filters: string[], inUse: (name: string) => boolean): (v: VolumeInfo) => boolean {
  const tests = filters.map((f): ((v: VolumeInfo) => boolean) => {
    const m = /^(dangling|name|label|driver)=(.*)$/.exec(f);
    if (!m) throw new HakoError(`invalid filter "${f}" (volume ls takes dangling=, name=, label=, driver=)`);
    const [, key, value] = m;
    if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new HakoError(`invalid filter "${f}": dangling is true or false`);
      const want = value === 'true' || value === '1';
      return (v) => !inUse(v.Name) === want;
    }
    if (key === 'name') return (v) => v.Name.includes(value);
    if (key === 'driver') return (v) => v.Driver === value;
    const eq = value.indexOf('=');
    return (v) => (eq < 0 ? value in v.Labels : v.Labels[value.slice(0, eq)] === value.slice(eq + 1));
  });
  return (v) => tests.every((t) => t(v));
}
