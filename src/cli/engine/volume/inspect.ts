// `hako volume inspect`: volumes as docker's JSON (or a --format template each).
import { HakoError } from '../../../util/errors.js';
import { logError } from '../../../util/log.js';
import { renderTemplate } from '../../../engine/format.js';
import { oneLine } from '../../errors.js';
import type { Command } from '../../command.js';
import { engineOf, need, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] VOLUME...',
  flags: { format: { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template for each volume ({{.Mountpoint}})' } },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const { VolumeStore } = await import('../../../engine/volumes.js');
    const volumes = new VolumeStore(engineOf(ctx).root);
    const docs: unknown[] = [];
    let failed = 0;
    for (const ref of positionals) {
      try {
        const { Anonymous: _anon, ...doc } = volumes.inspect(ref);
        docs.push(doc);
      } catch (err) {
        if (!(err instanceof HakoError) || positionals.length === 1) throw err;
        logError(oneLine(err.message));
        failed++;
      }
    }
    if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
    else process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
    return failed ? 1 : 0;
  },
};
export default command;
