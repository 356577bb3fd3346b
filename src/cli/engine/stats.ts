// `hako stats`: CPU, memory and pids of running containers, redrawn every second.
import { renderStats, statsRows } from '../../engine/stats.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [CONTAINER...]',
  flags: {
    'no-stream': { type: 'boolean', help: 'print one sample and exit' },
  },
  async run(ctx, { values: v, positionals }) {
    const e = engineOf(ctx);
    if (v['no-stream']) {
      process.stdout.write(renderStats(await statsRows(e, positionals, 500)));
      return 0;
    }
    // Live: redraw every second until interrupted or nothing is left running.
    for (;;) {
      const rows = await statsRows(e, positionals, 1000);
      process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${renderStats(rows)}`);
      if (!rows.length) return 0;
    }
  },
};
export default command;
