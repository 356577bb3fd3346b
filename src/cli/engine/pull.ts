// `hako pull`: an image from its registry into the store (hako.local/…: made from the host's busybox).
import { HakoError } from '../../util/errors.js';
import { isBuiltinImage, makeBuiltinImage } from '../../engine/builtin-image.js';
import { createProgressRenderer, parsePlatform, pull } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] IMAGE',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'no progress output' },
    platform: { type: 'string', value: 'OS/ARCH[/VARIANT]', help: 'the platform to pull from a multi-platform image' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako pull" requires exactly 1 argument: IMAGE');
    if (isBuiltinImage(positionals[0])) {
      // Not in any registry: made from the host's busybox (src/engine/builtin-image.ts).
      process.stdout.write(`${(await makeBuiltinImage(engineOf(ctx).images)).reference}\n`);
      return 0;
    }
    const rec = await pull(positionals[0], {
      store: engineOf(ctx).images,
      onProgress: v.quiet ? undefined : createProgressRenderer(process.stderr),
      platform: v.platform ? parsePlatform(v.platform as string) : undefined,
    });
    const { recordEvent } = await import('../../engine/events.js');
    recordEvent(engineOf(ctx).root, 'image', 'pull', rec.reference, { name: rec.reference });
    // Digest and Status are the progress renderer's last lines (also for `run`'s pull).
    process.stdout.write(`${rec.reference}\n`);
    return 0;
  },
};
export default command;
