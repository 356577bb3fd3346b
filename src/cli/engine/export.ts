// `hako export [-o FILE] CONTAINER`: the container's root filesystem as a tar (what `import` reads).
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER',
  flags: { output: { type: 'string', short: 'o', value: 'FILE', help: 'write to FILE instead of stdout' } },
  notes: 'Volumes and bind mounts are not part of it (as in docker).',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako export" requires exactly 1 argument: CONTAINER');
    if (!v.output && process.stdout.isTTY) throw new HakoError('cowardly refusing to save to a terminal: use the -o flag or redirect');
    const { exportContainer } = await import('../../engine/cp/index.js');
    const out = v.output ? fs.createWriteStream(v.output as string, { mode: 0o644 }) : process.stdout;
    await exportContainer(engineOf(ctx).store, positionals[0], out);
    if (v.output && !out.writableFinished) {
      // The pipe may have ended it already (Bun's pipeline does): wait for the data to be written.
      await new Promise<void>((resolve, reject) => {
        out.once('finish', resolve).once('error', reject);
        if (!out.writableEnded) out.end();
      });
    }
    return 0;
  },
};
export default command;
