// `hako import`: a root filesystem tarball (docker export's) as a one-layer image.
import { HakoError } from '../../util/errors.js';
import { importRootfs } from '../../image/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'FILE|- REFERENCE',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length !== 2) throw new HakoError('"hako import" requires exactly 2 arguments: FILE|- REFERENCE');
    const rec = await importRootfs(engineOf(ctx).images, positionals[0] === '-' ? process.stdin : positionals[0], positionals[1]);
    process.stdout.write(`${rec.config}\n`); // the image ID (its config's digest), as docker and `images` show it
    return 0;
  },
};
export default command;
