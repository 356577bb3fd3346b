// `hako rmi`: untags images, then drops the layers and blobs nothing uses any more.
import { pruneLayers } from '../../engine/rootfs.js';
import { recordEvent } from '../../engine/events.js';
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] IMAGE...',
  flags: {
    force: { type: 'boolean', short: 'f', help: 'remove images that containers use' },
    'no-prune': { type: 'boolean', help: "accepted for docker compatibility: hako's images have no untagged parents to prune" },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const e = engineOf(ctx);
    const used = await e.imagesInUse();
    const code = await each(positionals, async (ref) => {
      const removed = e.images.removeImage(ref, { force: Boolean(v.force), inUse: (d) => used.has(d) });
      for (const r of removed) {
        process.stdout.write(`Untagged: ${r}\n`);
        recordEvent(e.root, 'image', 'untag', r, { name: r });
      }
    });
    // Unpacked layers of what is gone (the blobs go with the store's gc).
    pruneLayers(e.images, e.store.containerDir(''));
    e.images.gc(); // unreferenced blobs, sparing those written in the last minutes (a pull in flight)
    return code;
  },
};
export default command;
