// `hako update [OPTIONS] CONTAINER...`: new limits (applied at once to a running container) and
// restart policy.
import type { Command } from '../command.js';
import { each, engineOf, need, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER...',
  flags: {
    memory: { type: 'string', short: 'm', value: 'BYTES', help: 'memory limit (6m at least)' },
    'memory-swap': { type: 'string', value: 'BYTES', help: 'memory plus swap; -1 unlimited' },
    cpus: { type: 'string', value: 'N', help: 'number of CPUs (a quota over 100 ms periods)' },
    'cpu-shares': { type: 'string', value: 'N', help: 'relative CPU weight' },
    'pids-limit': { type: 'string', value: 'N', help: 'the most processes (-1 unlimited)' },
    restart: { type: 'string', value: 'POLICY', help: 'no, always, unless-stopped, on-failure[:N]' },
  },
  async run(ctx, { values: v, positionals }, name) {
    const { parseUpdate, updateContainer } = await import('../../engine/update.js');
    const req = parseUpdate(v);
    need(positionals, name);
    const e = engineOf(ctx);
    return each(positionals, async (ref) => {
      await updateContainer(e, ref, req);
      process.stdout.write(`${ref}\n`);
    });
  },
};
export default command;
