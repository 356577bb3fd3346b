// `hako pull`: an image from its registry into the store (hako.local/…: made from the host's busybox);
// with -a/--all-tags every tag of the repository (the registry's tags list), as docker.
import { HakoError } from '../../util/errors.js';
import { isBuiltinImage, makeBuiltinImage } from '../../engine/builtin-image.js';
import { ImageReference, RegistryClient, createProgressRenderer, listTags, parsePlatform, parseReference, pull, type PullOptions } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  flags: {
    'all-tags': { type: 'boolean', short: 'a', help: 'every tagged image of the repository (NAME without a tag)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress output' },
    platform: { type: 'string', value: 'OS/ARCH[/VARIANT]', help: 'the platform to pull from a multi-platform image' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako pull" requires exactly 1 argument: IMAGE');
    const e = engineOf(ctx);
    if (isBuiltinImage(positionals[0])) {
      // Not in any registry: made from the host's busybox (src/engine/builtin-image.ts).
      process.stdout.write(`${(await makeBuiltinImage(e.images)).reference}\n`);
      return 0;
    }
    const opts = (status: boolean): PullOptions => ({
      store: e.images,
      client,
      onProgress: v.quiet ? undefined : createProgressRenderer(process.stderr, { status }),
      platform: v.platform ? parsePlatform(v.platform as string) : undefined,
    });
    const client = new RegistryClient();
    const { recordEvent } = await import('../../engine/events.js');
    if (!v['all-tags']) {
      const rec = await pull(positionals[0], opts(true));
      recordEvent(e.root, 'image', 'pull', rec.reference, { name: rec.reference });
      // Digest and Status are the progress renderer's last lines (also for `run`'s pull).
      process.stdout.write(`${rec.reference}\n`);
      return 0;
    }
    const ref = parseReference(positionals[0], { defaultTag: false });
    if (ref.tag || ref.digest) throw new HakoError("tag can't be used with --all-tags/-a");
    const tags = await listTags(client, ref);
    if (!tags.length) throw new HakoError(`${ref.name}: the repository has no tags`);
    for (const tag of tags) {
      const rec = await pull(new ImageReference(ref.domain, ref.path, tag), opts(false));
      recordEvent(e.root, 'image', 'pull', rec.reference, { name: rec.reference });
    }
    // docker: one Status line for the repository, its name on stdout.
    if (!v.quiet) process.stderr.write(`Status: Downloaded newer image for ${ref.name}\n`);
    process.stdout.write(`${ref.name}\n`);
    return 0;
  },
};
export default command;
