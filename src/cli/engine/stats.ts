// `hako stats`: CPU, memory, network, block I/O and pids of running containers, redrawn every
// second (or once with --no-stream), as docker's table or a --format template.
import { formatList } from '../../engine/format.js';
import { STATS_HEADERS, STATS_TABLE, statsFields, statsRows } from '../../engine/stats.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [CONTAINER...]',
  flags: {
    all: { type: 'boolean', short: 'a', help: 'every container (default: the running ones)' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Name}}, {{.CPUPerc}}, {{.MemUsage}}, {{.NetIO}}, {{.BlockIO}}, {{.PIDs}}, …)' },
    'no-stream': { type: 'boolean', help: 'print one sample and exit' },
    'no-trunc': { type: 'boolean', help: 'full container IDs' },
  },
  async run(ctx, { values: v, positionals }) {
    const e = engineOf(ctx);
    const render = (rows: Awaited<ReturnType<typeof statsRows>>) =>
      formatList(
        v.format as string | undefined,
        rows.map((r) => statsFields(r, Boolean(v['no-trunc']))),
        { defaultTable: STATS_TABLE, headers: STATS_HEADERS },
      );
    if (v['no-stream']) {
      process.stdout.write(render(await statsRows(e, positionals, 500, Boolean(v.all))));
      return 0;
    }
    // Live: redraw every second until interrupted or nothing is left running.
    for (;;) {
      const rows = await statsRows(e, positionals, 1000, Boolean(v.all));
      process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${render(rows)}`);
      if (!rows.length) return 0;
    }
  },
};
export default command;
