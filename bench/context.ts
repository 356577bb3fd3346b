// Shared state of one bench run: config, temp dir, peers, and fixtures that are built on first use
// (bundles, the local registry, podman's temp storage) together with their teardown.
import fs from 'node:fs';
import path from 'node:path';
import { makeBundle } from '../test/fixtures/busybox.js';
import type { BenchConfig } from './config.js';
import type { RuntimeCli } from './peers.js';

export interface Ctx {
  repo: string;
  tmp: string;
  cfg: BenchConfig;
  clis: RuntimeCli[];
  /** Teardown steps, run last-in first-out at the end (also on failure or Ctrl-C). */
  cleanups: Array<() => void>;
  /** Memoised fixtures. */
  cache: Map<string, unknown>;
}

export function once<T>(ctx: Ctx, key: string, make: () => T): T {
  if (!ctx.cache.has(key)) ctx.cache.set(key, make());
  return ctx.cache.get(key) as T;
}

/** A busybox bundle running `args`. ociVersion is 1.0.2 (what `runc spec` writes) because crun 1.8
 *  rejects any other major.minor ("unknown version specified"), and the bundle must be the same
 *  for all peers. */
export function benchBundle(ctx: Ctx, args: string[]): string {
  return once(ctx, `bundle:${args.join(' ')}`, () => {
    const bundle = makeBundle(args, (spec) => {
      spec.ociVersion = '1.0.2';
    });
    const moved = path.join(ctx.tmp, `bundle-${ctx.cache.size}`);
    fs.renameSync(bundle, moved);
    return moved;
  });
}
