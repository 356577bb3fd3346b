// `hako tag SOURCE TARGET`: another name for an image of the store.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length !== 2) throw new HakoError('"hako tag" requires exactly 2 arguments: SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]');
    const { parseReference } = await import('../../image/index.js');
    const store = engineOf(ctx).images;
    const rec = store.resolve(positionals[0]);
    if (!rec) throw new HakoError(`no such image: ${positionals[0]}`);
    const target = parseReference(positionals[1]);
    if (target.digest) throw new HakoError(`tag: refusing to create a tag with a digest reference: ${positionals[1]}`);
    store.tag(target, rec.digest, { manifest: rec.manifest });
    const { recordEvent } = await import('../../engine/events.js');
    recordEvent(engineOf(ctx).root, 'image', 'tag', rec.config, { name: target.toString() });
    return 0;
  },
};
export default command;
